"""The entry point, and the ways in that start once per build: KRM function, kustomize plugin.

They stay light (no argparse); the commands for people are in commands.py, the webhook in
webhook/.
"""

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from krm_fn import __version__, yamlio
from krm_fn.results import Result, has_errors

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
MAX_ITEMS = 100_000  # resources in one run (the benchmarks go to 10,000)

HELP = f"""krm-fn {__version__}: Kubernetes multi-container pod patterns, as a KRM function.

Usage:
  krm-fn < resource-list.yaml          KRM function: a ResourceList on stdin and stdout
                                       (kpt fn eval --exec, Kptfile exec:/image:, kustomize)
  krm-fn run CONFIG [FILE|DIR|-]...    apply CONFIG to YAML files and print the result
         [--diff] [--strict] [-o DIR | --in-place]   (-c CONFIG, repeated: several, in order)
         [--fail-on-warnings] [-n NS] [--results json|yaml]
  krm-fn check CONFIG [FILE|DIR|-]...  exit 1, listing each resource, if CONFIG would change them
  krm-fn uninject [FILE|DIR|-]...      remove every recorded injection (--config: one config's)
  krm-fn validate CONFIG...            check configs without manifests
  krm-fn explain KIND[.field.path]     documentation of a kind or a field
  krm-fn audit CONFIG_OR_DIR... [-A]   which running pods are current, stale, missing or
                                       unverifiable (pip install krm-fn[audit])
  krm-fn init KIND                     a commented config skeleton
  krm-fn schema KIND                   JSON Schema of a kind's config (for editors)
  krm-fn definitions                   the function catalog (functions.yaml)
  krm-fn completion bash|zsh|fish      a shell completion script
  krm-fn install-plugins DIR           legacy kustomize exec plugins for every kind, for
                                       KUSTOMIZE_PLUGIN_HOME=DIR kubectl kustomize
                                       --enable-alpha-plugins
  krm-fn plugin CONFIG                 legacy kustomize exec plugin mode (kustomize runs it)
  krm-fn helm-plugin DIR               a Helm 4 post-renderer plugin: helm plugin install DIR,
                                       then --post-renderer krm-fn --post-renderer-args CONFIG
  krm-fn helm-post-render CONFIG ...   `run` as that plugin runs it (Helm 4 runs it)
  krm-fn argocd-generate               the Argo CD plugin's generate (argocd-cmp-server runs it)
  krm-fn webhook --config-dir DIR      the same patterns at admission: a mutating admission
         --tls-cert-file F --tls-key-file F   webhook (pip install krm-fn[webhook])
  krm-fn COMMAND --help | --help | --version

Config: apiVersion: krm-fn.dev/v1alpha1, one kind per pattern (krm-fn explain KIND), fields
under spec; PodPatterns applies several in order.
Exit codes: 0 success; 1 errors in the input, the configs or the results, or differences
(--diff, check); 2 usage errors.
"""


NO_RESOURCES = (
    "{} holds no resources; an empty output would delete everything downstream (kustomize, "
    "Argo CD prune), so krm-fn refuses it"
)


class UsageError(Exception):
    """Bad command line or input; the message is for the user."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `krm-fn` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["webhook"]:  # a long-lived server: none of the one-shot settings below
        from krm_fn.webhook.command import main as webhook

        return webhook(args[1:], sys.stdout, sys.stderr)
    if args[:1] == ["helm-post-render"]:  # Helm 4's post-renderer plugin: `run`, errors shown
        from krm_fn.helm import post_render

        return post_render(args[1:])
    if args[:1] == ["argocd-generate"]:  # the Argo CD plugin's generate: settings from Argo CD
        from krm_fn.argocd import main as argocd_generate

        return argocd_generate(args[1:], sys.stdout, sys.stderr)
    import gc

    gc.disable()  # one short run over a big tree of dicts: the cyclic collector only costs time
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # no scan of installed packages
    try:
        return _dispatch(args, sys.stdin, sys.stdout, sys.stderr)
    except (UsageError, yamlio.InputError) as err:
        print(f"krm-fn: {err}", file=sys.stderr)
        return 1
    except SystemExit as exit:  # argparse: usage errors exit 2, --help exits 0
        return int(exit.code or 0)
    except BrokenPipeError:
        return 1
    except Exception as err:
        if os.environ.get("KRM_FN_DEBUG"):
            raise
        print(
            f"krm-fn: internal error ({type(err).__name__}: {err}); set KRM_FN_DEBUG=1 for details",
            file=sys.stderr,
        )
        return 1


def _dispatch(args: list[str], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    _Budget.left = yamlio.MAX_INPUT_BYTES
    if not args:
        if stdin.isatty():
            stdout.write(HELP)
            return 0
        text = read_stream(stdin, "stdin")
        if not text.strip():
            raise UsageError("stdin is empty: expected a ResourceList (see krm-fn --help)")
        output, code = run_krm(text, stderr)
        stdout.write(output)
        return code
    command, rest = args[0], args[1:]
    if command in ("-h", "--help", "help"):
        stdout.write(HELP)
        return 0
    if command == "--version":
        stdout.write(f"krm-fn {__version__}\n")
        return 0
    if command == "plugin" and len(rest) == 1 and not rest[0].startswith("-"):
        # kustomize runs this once per build: no argparse on the way
        output, code = run_plugin(read_file(rest[0]), read_stream(stdin, "stdin"), stderr)
        stdout.write(output)
        return code
    from krm_fn import commands

    return commands.main(args, stdin, stdout, stderr)


class _Budget:
    """What a run may still read: the size limit holds for all its input together."""

    left = yamlio.MAX_INPUT_BYTES


def read_stream(stream: TextIO, name: str) -> str:
    """A stream's text, within the run's size limit."""
    if not hasattr(stream, "buffer"):
        return _bounded(stream.read(_Budget.left + 1).encode(), name)
    return _bounded(stream.buffer.read(_Budget.left + 1), name)


def read_file(path: str) -> str:
    """A file's text, within the run's size limit."""
    try:
        with open(path, "rb") as handle:
            return _bounded(handle.read(_Budget.left + 1), path)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


def _bounded(data: bytes, name: str) -> str:
    """Input as text: refused past the size limit (read no further) or when not UTF-8."""
    if len(data) > _Budget.left:
        what = name if _Budget.left == yamlio.MAX_INPUT_BYTES else f"the input, with {name},"
        raise yamlio.InputError(
            f"{what} is larger than {yamlio.MAX_INPUT_BYTES:,} bytes; set KRM_FN_MAX_INPUT_BYTES"
            " to allow more"
        )
    _Budget.left -= len(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise yamlio.InputError(f"{name} is not UTF-8: {err}") from None


FAIL_ON_WARNINGS_ENV = "KRM_FN_FAIL_ON_WARNINGS"
STRICT_ENV = "KRM_FN_STRICT"


def env_flag(name: str) -> bool:
    """Whether the environment variable `name` says true (true, 1, yes; unset or false: no)."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise UsageError(f"{name}={value!r}: use true or false")


def fail_on_warnings_env() -> bool:
    """Whether KRM_FN_FAIL_ON_WARNINGS asks that every warning be an error."""
    return env_flag(FAIL_ON_WARNINGS_ENV)


def transform(
    function_config: Any,
    items: list[Any],
    *,
    fail_on_warnings: bool = False,
    strict: bool = False,
    **options: Any,
) -> list[Result]:
    """core.transform with the CLI's settings (KRM_FN_DEBUG: bugs raise; `options`: its own).

    KRM_FN_FAIL_ON_WARNINGS=true makes every warning an error, and KRM_FN_STRICT=true a config
    that selects no workload an error, in every way in that runs here (the Argo CD plugin sets
    them for kustomize's exec plugins).
    """
    from krm_fn import core

    if os.environ.get("KRM_FN_DEBUG"):
        core.RAISE_INTERNAL_ERRORS = True
    fail = fail_on_warnings or fail_on_warnings_env()
    strict = strict or env_flag(STRICT_ENV)
    return core.transform(function_config, items, fail_on_warnings=fail, strict=strict, **options)


def run_krm(text: str, stderr: TextIO) -> tuple[str, int]:
    """KRM function mode: ResourceList in, ResourceList with results out."""
    styles: yamlio.Styles = []  # quotes and flow styles, kept where the values stay the same
    resource_list = yamlio.load(text, "stdin", styles)
    if not isinstance(resource_list, dict) or resource_list.get("kind") != "ResourceList":
        raise UsageError(
            "stdin is not a ResourceList (kind: ResourceList, apiVersion: config.kubernetes.io/v1);"
            " "
            "to change a plain YAML stream use `krm-fn run CONFIG -`"
        )
    if resource_list.get("apiVersion") not in RESOURCE_LIST_VERSIONS:
        raise UsageError(
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
    _log(results, stderr, quiet=True)
    parts = yamlio.styles_by_part(resource_list, styles[0]) if styles else None
    return yamlio.dump_resource_list(output, parts), 1 if has_errors(results) else 0


def run_plugin(config_text: str, stream_text: str, stderr: TextIO) -> tuple[str, int]:
    """Legacy kustomize exec plugin mode: config file, YAML stream in and out."""
    config = yamlio.load(config_text, "the plugin config")
    items = yamlio.load_all(stream_text, "stdin")
    if not items:
        raise yamlio.InputError(NO_RESOURCES.format("stdin"))
    check_items(items, "stdin")
    results = transform(config, items)
    _log(results, stderr, quiet=True)
    if has_errors(results):
        return "", 1
    return yamlio.dump_all(items), 0


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
    from krm_fn.results import source_file

    file = source_file(item) if isinstance(item, dict) else None
    return f"{file['path']} ({where})" if file else where


def _maps(meta: Any) -> list[tuple[str, Any]]:
    if not isinstance(meta, dict):
        return []
    return [(f"metadata.{key}", meta.get(key)) for key in ("labels", "annotations")]


def _log(results: list[Result], stderr: TextIO, quiet: bool) -> None:
    for result in results:
        if not quiet or result.severity != "info":
            print(result.to_text(), file=stderr)
