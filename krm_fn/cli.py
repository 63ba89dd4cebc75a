"""The three ways in, thin callers of `core.apply`: KRM function, legacy kustomize plugin, CLI."""

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from krm_fn import __version__, yamlio
from krm_fn.results import Result, has_errors

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")

HELP = f"""krm-fn {__version__}: Kubernetes multi-container pod patterns, as a KRM function.

Usage:
  krm-fn < resource-list.yaml          KRM function: a ResourceList on stdin and stdout
                                       (kpt fn eval --exec, Kptfile exec:/image:, kustomize)
  krm-fn run CONFIG [FILE|DIR|-]...    apply CONFIG to YAML files (default: stdin) and print
         [--diff] [--quiet]            the result; --diff prints what changed instead
  krm-fn install-plugins DIR           write legacy kustomize exec plugins for every kind under
                                       DIR, for KUSTOMIZE_PLUGIN_HOME=DIR kubectl kustomize
                                       --enable-alpha-plugins
  krm-fn plugin CONFIG                 legacy kustomize exec plugin mode (YAML stream on stdin)
  krm-fn explain KIND                  documentation of a kind, its fields and its example
  krm-fn schema KIND                   JSON Schema of a kind's config (for editors)
  krm-fn definitions                   the function catalog (functions.yaml: KRMFunctionDefinitions)
  krm-fn webhook --config-dir DIR      the same patterns at admission: a mutating admission
         --tls-cert-file F --tls-key-file F   webhook (pip install krm-fn[webhook]); see
                                       krm-fn webhook --help and docs/webhook.md
  krm-fn --help | --version

Config: apiVersion: krm-fn.dev/v1alpha1, one kind per pattern (krm-fn explain KIND), fields
under spec; PodPatterns applies several in order. Exit code 1 on any error.
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
    import gc

    gc.disable()  # one short run over a big tree of dicts: the cyclic collector only costs time
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # no scan of installed packages
    try:
        return _dispatch(args, sys.stdin, sys.stdout, sys.stderr)
    except (UsageError, yamlio.InputError) as err:
        print(f"krm-fn: {err}", file=sys.stderr)
        return 1
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
        text = _read(stdin, "stdin")
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
    if command == "plugin":
        if len(rest) < 1:
            raise UsageError("usage: krm-fn plugin CONFIG-FILE < stream.yaml")
        output, code = run_plugin(_read_file(rest[0]), _read(stdin, "stdin"), stderr)
        stdout.write(output)
        return code
    if command == "run":
        return _run(rest, stdin, stdout, stderr)
    if command in ("explain", "schema"):
        if len(rest) != 1:
            raise UsageError(f"usage: krm-fn {command} KIND")
        from krm_fn import reference

        try:
            kind = reference.known_kind(rest[0])
        except ValueError as err:
            raise UsageError(str(err)) from None
        if command == "explain":
            stdout.write(reference.explain(kind))
        else:
            import json

            stdout.write(json.dumps(reference.json_schema(kind), indent=2) + "\n")
        return 0
    if command == "definitions":
        from krm_fn.catalog import definitions

        stdout.write(yamlio.dump_all(definitions()))
        return 0
    if command == "install-plugins":
        if len(rest) != 1:
            raise UsageError("usage: krm-fn install-plugins DIR")
        for path in install_plugins(rest[0]):
            stdout.write(f"{path}\n")
        return 0
    raise UsageError(f'unknown command "{command}"; see krm-fn --help')


class _Budget:
    """What a run may still read: the size limit holds for all its input together."""

    left = yamlio.MAX_INPUT_BYTES


def _read(stream: TextIO, name: str) -> str:
    if not hasattr(stream, "buffer"):
        return _bounded(stream.read(_Budget.left + 1).encode(), name)
    return _bounded(stream.buffer.read(_Budget.left + 1), name)


def _read_file(path: str) -> str:
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


def transform(function_config: Any, items: list[Any]) -> list[Result]:
    """The core's transform, with the CLI's settings (KRM_FN_DEBUG: bugs raise)."""
    from krm_fn import core

    if os.environ.get("KRM_FN_DEBUG"):
        core.RAISE_INTERNAL_ERRORS = True
    return core.transform(function_config, items)


def run_krm(text: str, stderr: TextIO) -> tuple[str, int]:
    """KRM function mode: ResourceList in, ResourceList with results out."""
    resource_list = yamlio.load(text, "stdin")
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
        _check_items(items, "ResourceList items")
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
    return yamlio.dump_resource_list(output), 1 if has_errors(results) else 0


def run_plugin(config_text: str, stream_text: str, stderr: TextIO) -> tuple[str, int]:
    """Legacy kustomize exec plugin mode: config file, YAML stream in and out."""
    config = yamlio.load(config_text, "the plugin config")
    items = yamlio.load_all(stream_text, "stdin")
    if not items:
        raise yamlio.InputError(NO_RESOURCES.format("stdin"))
    _check_items(items, "stdin")
    results = transform(config, items)
    _log(results, stderr, quiet=True)
    if has_errors(results):
        return "", 1
    return yamlio.dump_all(items), 0


def _check_items(items: Any, where: str) -> None:
    if not isinstance(items, list):
        raise yamlio.InputError(f"{where} must be a list of resources")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("kind") or not item.get("apiVersion"):
            raise yamlio.InputError(
                f"{where}[{index}] is not a Kubernetes resource (apiVersion, kind)"
            )
        meta = item.get("metadata", {})
        for field, value in (("metadata", meta), *_maps(meta)):
            if value is not None and not isinstance(value, dict):
                raise yamlio.InputError(
                    f"{where}[{index}] ({item['kind']}): {field} must be a mapping"
                )


def _maps(meta: Any) -> list[tuple[str, Any]]:
    if not isinstance(meta, dict):
        return []
    return [(f"metadata.{key}", meta.get(key)) for key in ("labels", "annotations")]


def _log(results: list[Result], stderr: TextIO, quiet: bool) -> None:
    for result in results:
        if not quiet or result.severity != "info":
            print(result.to_text(), file=stderr)


def _run(args: list[str], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="krm-fn run", description="Apply a krm-fn config to YAML files."
    )
    parser.add_argument("config", help="a krm-fn config file")
    parser.add_argument("inputs", nargs="*", help="YAML files or directories; - or none: stdin")
    parser.add_argument("--diff", action="store_true", help="print a unified diff of what changed")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only warnings and errors")
    options = parser.parse_args(args)
    config = yamlio.load(_read_file(options.config), options.config)
    items: list[Any] = []
    for name in options.inputs or ["-"]:
        for path, text in _inputs(name, stdin):
            documents = yamlio.load_all(text, path)
            _check_items(documents, path)
            items += documents
    if not items:
        raise yamlio.InputError(NO_RESOURCES.format(", ".join(options.inputs or ["stdin"])))
    import copy

    before = copy.deepcopy(items) if options.diff else []
    results = transform(config, items)
    _log(results, stderr, options.quiet)
    if options.diff:
        stdout.write(diff(before, items))
    elif not has_errors(results):
        stdout.write(yamlio.dump_all(items))
    return 1 if has_errors(results) else 0


def _inputs(name: str, stdin: TextIO) -> list[tuple[str, str]]:
    if name == "-":
        return [("stdin", _read(stdin, "stdin"))]
    if os.path.isdir(name):
        files = sorted(
            os.path.join(root, f)
            for root, _, names in os.walk(name)
            for f in names
            if f.endswith((".yaml", ".yml"))
        )
        return [(f, _read_file(f)) for f in files]
    return [(name, _read_file(name))]


def diff(before: list[Any], after: list[Any]) -> str:
    """A unified diff per resource, labelled Kind/namespace/name; new resources in full."""
    import difflib

    from krm_fn.core import identity
    from krm_fn.results import describe

    old_by_id = {identity(r): r for r in before}
    new_ids = {identity(r) for r in after}
    pairs = [(old_by_id.get(identity(r)), r) for r in after]
    pairs += [(r, None) for r in before if identity(r) not in new_ids]
    chunks: list[str] = []
    for old, new in pairs:
        if old != new:
            label = describe(new or old or {})
            chunks += difflib.unified_diff(
                yamlio.dump(old).splitlines(keepends=True) if old else [],
                yamlio.dump(new).splitlines(keepends=True) if new else [],
                f"a/{label}" if old else "/dev/null",
                f"b/{label}" if new else "/dev/null",
            )
    return "".join(chunks)


def install_plugins(directory: str) -> list[str]:
    """Write one legacy exec plugin per kind; return their paths."""
    import shlex

    from krm_fn.config import API_VERSION, KINDS

    paths = []
    for kind in KINDS:
        folder = os.path.join(directory, API_VERSION, kind.lower())
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, kind)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                "#!/bin/sh\n"
                f"# krm-fn {__version__}: legacy kustomize exec plugin for {API_VERSION} {kind}\n"
                f'exec {shlex.quote(sys.executable)} -m krm_fn plugin "$@"\n'
            )
        os.chmod(path, 0o755)
        paths.append(path)
    return paths
