"""What every way in shares, as kyaml's fn/framework: bounded input, the round trips, results.

A way in (the KRM function and the exec plugin in cli.py, the commands, Helm's post-renderer,
Argo CD's generate, audit) reads its input here, calls the core with the run's settings
(`run_options`), and writes results here; no way in imports another.
"""

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result, has_errors

if TYPE_CHECKING:  # the core is imported when a run starts
    from krm_fn.engine.core import Options

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
MAX_ITEMS = 100_000  # resources in one run (the benchmarks go to 10,000)
DEBUG_ENV = "KRM_FN_DEBUG"
FAIL_ON_WARNINGS_ENV = "KRM_FN_FAIL_ON_WARNINGS"
STRICT_ENV = "KRM_FN_STRICT"
RESULT_FORMATS = ("text", "json", "yaml")  # of log_results

NO_RESOURCES = (
    "{} holds no resources; an empty output would delete everything downstream (kustomize, "
    "Argo CD prune), so krm-fn refuses it"
)


# bounded input -------------------------------------------------------------------------------
class Reader:
    """What one run reads: all of its input together within the size limit.

    The limit is KRM_FN_MAX_INPUT_BYTES when the run starts (32 MiB by default).
    """

    def __init__(self) -> None:
        self.limit = yamlio.max_input_bytes()
        self.left = self.limit

    def stream(self, stream: TextIO, name: str) -> str:
        """A stream's text, within the run's size limit."""
        if not hasattr(stream, "buffer"):
            return self._bounded(stream.read(self.left + 1).encode(), name)
        return self._bounded(stream.buffer.read(self.left + 1), name)

    def file(self, path: str) -> str:
        """A file's text, within the run's size limit."""
        try:
            with open(path, "rb") as handle:
                return self._bounded(handle.read(self.left + 1), path)
        except OSError as err:
            raise yamlio.InputError(f"cannot read {path}: {err.strerror}") from None

    def _bounded(self, data: bytes, name: str) -> str:
        """Input as text: refused past the size limit (read no further) or when not UTF-8."""
        if len(data) > self.left:
            what = name if self.left == self.limit else f"the input, with {name},"
            raise yamlio.InputError(
                f"{what} is larger than {self.limit:,} bytes; set KRM_FN_MAX_INPUT_BYTES to "
                "allow more"
            )
        self.left -= len(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise yamlio.InputError(f"{name} is not UTF-8: {err}") from None


def check_items(items: Any, where: str, names: list[str] | None = None) -> None:
    """Refuse items that are not mappings, or resources whose metadata is not a mapping.

    Mappings without apiVersion or kind are no resources and pass through untouched (kpt hands
    over a package's kustomization.yaml). `names` name the items in messages (file and
    document), else `where[index]` and the file kpt's annotations give.
    """
    if not isinstance(items, list):
        raise yamlio.InputError(f"{where} must be a list of resources")
    if len(items) > MAX_ITEMS:
        raise yamlio.InputError(
            f"{where} holds {len(items):,} resources, more than {MAX_ITEMS:,}: split it into "
            "several runs"
        )
    for index, item in enumerate(items):
        name = names[index] if names else _item_name(item, f"{where}[{index}]")
        if not isinstance(item, dict):
            raise yamlio.InputError(
                f"{name} is not a Kubernetes resource (a mapping with apiVersion and kind)"
            )
        if not item.get("kind") or not item.get("apiVersion"):
            continue  # not a resource (a kustomization file kpt hands over): passes through
        meta = item.get("metadata", {})
        for field, value in (("metadata", meta), *_maps(meta)):
            if value is not None and not isinstance(value, dict):
                raise yamlio.InputError(f"{name} ({item['kind']}): {field} must be a mapping")


def _item_name(item: Any, where: str) -> str:
    """`where`, with the file the item came from where kpt's annotations say it."""
    from krm_fn.manifests.results import source_file

    file = source_file(item) if isinstance(item, dict) else None
    return f"{file['path']} ({where})" if file else where


def _maps(meta: Any) -> list[tuple[str, Any]]:
    if not isinstance(meta, dict):
        return []
    return [(f"metadata.{key}", meta.get(key)) for key in ("labels", "annotations")]


# the run's settings ------------------------------------------------------------------------
def env_flag(name: str) -> bool:
    """Whether the environment variable `name` says true (true, 1, yes; unset or false: no)."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise yamlio.InputError(f"{name}={value!r}: use true or false")


def run_options(
    *, fail_on_warnings: bool = False, strict: bool = False, namespace: str | None = None
) -> "Options":
    """The core's options for a run here: the caller's, and the environment's.

    KRM_FN_FAIL_ON_WARNINGS=true makes every warning an error, KRM_FN_STRICT=true a config that
    selects no workload an error, in every way in (the Argo CD plugin sets them for kustomize's
    exec plugins); KRM_FN_DEBUG=1 lets a bug raise with its traceback.
    """
    from krm_fn.engine.core import Options

    return Options(
        namespace=namespace,
        strict=strict or env_flag(STRICT_ENV),
        fail_on_warnings=fail_on_warnings or env_flag(FAIL_ON_WARNINGS_ENV),
        raise_internal_errors=bool(os.environ.get(DEBUG_ENV)),
    )


def transform(
    function_config: Any, items: list[Any], options: "Options | None" = None
) -> list[Result]:
    """core.transform, with the environment's settings unless `options` are given."""
    from krm_fn.engine import core

    return core.transform(function_config, items, options or run_options())


# configs -------------------------------------------------------------------------------------
def read_config(reader: Reader, path: str) -> list[Any]:
    """The configs in a file, in order: one per YAML document (`---`)."""
    from krm_fn.engine.config import expected_config

    documents = yamlio.load_all(reader.file(path), path)
    if not documents:
        raise yamlio.InputError(f"{path} holds no config: {expected_config()}")
    for index, document in enumerate(documents):
        if not isinstance(document, dict) or not document.get("kind"):
            where = f"{path} (document {index + 1})" if len(documents) > 1 else path
            raise yamlio.InputError(f"{where} is not a krm-fn config: {expected_config()}")
    return documents


def apply_configs(
    configs: list[tuple[str, Any]], items: list[Any], options: "Options"
) -> list[Result]:
    """Each config (file, document) in turn, as a pipeline of functions runs.

    The first with errors stops it. A result about a config itself names the config's file.
    """
    results: list[Result] = []
    for path, config in configs:
        found = transform(config, items, options)
        for result in found:
            if result.resource is config or (result.resource is None and not result.tags):
                result.file = path
        results += found
        if has_errors(found):
            break
    return results


def run_configs(
    paths: list[str], stream_text: str, stderr: TextIO, namespace: str | None = None
) -> tuple[str, int]:
    """`krm-fn run --quiet -c PATH... -` on a YAML stream, in this process: (output, code).

    What Argo CD's generate applies to a chart's manifests (no second Python).
    """
    reader = Reader()
    configs = [(path, document) for path in paths for document in read_config(reader, path)]
    options = run_options(namespace=namespace)
    return _stream_round_trip(
        stream_text, stderr, lambda items: apply_configs(configs, items, options)
    )


# the round trips ---------------------------------------------------------------------------
def run_resource_list(text: str, stderr: TextIO) -> tuple[str, int]:
    """KRM function mode: ResourceList in, ResourceList with results out."""
    styles: yamlio.Styles = []  # quotes and flow styles, kept where the values stay the same
    resource_list = yamlio.load(text, "stdin", styles)
    if not isinstance(resource_list, dict) or resource_list.get("kind") != "ResourceList":
        raise yamlio.InputError(
            "stdin is not a ResourceList (kind: ResourceList, apiVersion: config.kubernetes.io/v1);"
            " to change a plain YAML stream use `krm-fn run CONFIG -`"
        )
    if resource_list.get("apiVersion") not in RESOURCE_LIST_VERSIONS:
        raise yamlio.InputError(
            f'ResourceList apiVersion "{resource_list.get("apiVersion")}" is not one of '
            f"{', '.join(RESOURCE_LIST_VERSIONS)}"
        )
    items = resource_list.get("items")
    items = [] if items is None else items
    try:
        check_items(items, "ResourceList items")
    except yamlio.InputError as err:  # answered with the items as they came, and an error result
        results = [Result(str(err), "error")]
    else:
        results = transform(resource_list.get("functionConfig"), items)
    output: dict[str, Any] = {
        "apiVersion": resource_list["apiVersion"],
        "kind": "ResourceList",
        "items": items,
    }
    if "functionConfig" in resource_list:
        output["functionConfig"] = resource_list["functionConfig"]
    output["results"] = [r.to_dict() for r in results]
    log_results(results, stderr, quiet=True)
    parts = yamlio.styles_by_part(resource_list, styles[0]) if styles else None
    return yamlio.dump_resource_list(output, parts), 1 if has_errors(results) else 0


def plugin_command(config_path: str, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn plugin CONFIG`, kustomize's exec plugin: the config file, the stream on stdin."""
    reader = Reader()
    config, stream = reader.file(config_path), reader.stream(stdin, "stdin")
    output, code = run_plugin(config, stream, stderr)
    stdout.write(output)
    return code


def guarded(call: Callable[[], int], stderr: TextIO) -> int:
    """call(), every failure a message on stderr and exit 1 (argparse's exits keep their code)."""
    try:
        return call()
    except yamlio.InputError as err:
        print(f"krm-fn: {err}", file=stderr)
        return 1
    except SystemExit as exit:  # argparse: usage errors exit 2, --help exits 0
        return int(exit.code or 0)
    except BrokenPipeError:
        return 1
    except Exception as err:
        if os.environ.get(DEBUG_ENV):
            raise
        print(
            f"krm-fn: internal error ({type(err).__name__}: {err}); set KRM_FN_DEBUG=1 for details",
            file=stderr,
        )
        return 1


def run_plugin(config_text: str, stream_text: str, stderr: TextIO) -> tuple[str, int]:
    """Legacy kustomize exec plugin mode: config file, YAML stream in and out."""
    config = yamlio.load(config_text, "the plugin config")
    return _stream_round_trip(stream_text, stderr, lambda items: transform(config, items))


def _stream_round_trip(
    stream_text: str, stderr: TextIO, change: Callable[[list[Any]], list[Result]]
) -> tuple[str, int]:
    """A YAML stream changed in place by `change`: (output, code), nothing out on an error.

    The results are logged without the info ones, as a step of a pipeline shows them.
    """
    items = yamlio.load_all(stream_text, "stdin")
    if not items:
        raise yamlio.InputError(NO_RESOURCES.format("stdin"))
    check_items(items, "stdin")
    results = change(items)
    log_results(results, stderr, quiet=True)
    if has_errors(results):
        return "", 1
    return yamlio.dump_all(items), 0


# results ---------------------------------------------------------------------------------------
def log_results(results: list[Result], stderr: TextIO, quiet: bool, form: str = "text") -> None:
    """Results on stderr: a line each, or (json, yaml) the ResourceList `results` list.

    `quiet` leaves out the info results.
    """
    shown = [r for r in results if not quiet or r.severity != "info"]
    if form == "text":
        for result in shown:
            print(result.to_text(), file=stderr)
    elif form == "json":
        import json

        print(json.dumps([r.to_dict() for r in shown], indent=2), file=stderr)
    else:
        stderr.write(yamlio.dump([r.to_dict() for r in shown]))
