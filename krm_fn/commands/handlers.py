"""The commands for people, each a thin caller of the core (HANDLERS: by command)."""

from collections.abc import Callable
from typing import Any, TextIO

from krm_fn import framework
from krm_fn.commands.arguments import Arguments, UsageError
from krm_fn.commands.files import read_source, split_configs, write_result
from krm_fn.framework import log_results
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result, has_errors

Handler = Callable[[Arguments, TextIO, TextIO, TextIO], int]


def _apply_configs(
    configs: list[tuple[str, Any]], source: Any, options: Arguments
) -> tuple[list[Any], list[Result]]:
    """The configs applied in order to the source's items (framework.apply_configs)."""
    settings = framework.run_options(
        fail_on_warnings=options.fail_on_warnings,
        strict=options.strict,
        namespace=options.namespace,
    )
    items = source.items  # a new list each time: the configs add to this one
    return items, framework.apply_configs(configs, items, settings)


# the commands ------------------------------------------------------------------------------------
def run(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn run`: the configs applied, in order; the result printed, or written to files."""
    reader = framework.Reader()
    configs, inputs = split_configs(reader, options)
    source = read_source(reader, inputs, stdin, options.allow_empty)
    items, results = _apply_configs(configs, source, options)
    log_results(results, stderr, options.quiet, options.results)
    if has_errors(results):
        return 1
    if not items:  # --allow-empty: nothing in, nothing out
        return 0
    if options.diff:
        text = diff(source, items)
        stdout.write(text)
        return 1 if text else 0
    write_result(options, source, items, stdout)
    return 0


def check(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn check`: exit 1, listing each resource, if the configs would change them."""
    reader = framework.Reader()
    configs, inputs = split_configs(reader, options)
    source = read_source(reader, inputs, stdin)
    items, results = _apply_configs(configs, source, options)
    log_results(results, stderr, True, options.results)
    if has_errors(results):
        return 1
    changed = _changes(source, items)
    for line in changed:
        print(line, file=stdout)
    if changed:
        print(f"{len(changed)} resource(s) would change: run `krm-fn run` on them", file=stderr)
    return 1 if changed else 0


def _changes(source: Any, items: list[Any]) -> list[str]:
    from krm_fn.manifests import yamlio as y
    from krm_fn.manifests.results import describe

    by_id = {id(d.resource): d for d in source.documents}
    lines = []
    for item in items:
        document = by_id.get(id(item))
        if document is None:
            lines.append(f"added: {describe(item)}")
        elif not y.same(item, document.original):
            lines.append(f"changed: {describe(item)} ({document.path})")
    present = {id(i) for i in items}
    lines += [
        f"removed: {describe(d.resource)} ({d.path})"
        for d in source.documents
        if d.resource is not None and id(d.resource) not in present
    ]
    return lines


def uninject(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn uninject`: every recorded injection (or one config's) removed."""
    from krm_fn.engine import core
    from krm_fn.engine.config import ConfigError, load_config

    reader = framework.Reader()
    source = read_source(reader, options.inputs, stdin)
    keys: list[str] | None = None
    if options.config:
        keys = []
        for path in options.config:
            try:
                keys += [
                    i.key
                    for config in framework.read_config(reader, path)
                    for i in load_config(config)
                ]
            except ConfigError as err:
                log_results(err.results, stderr, True, options.results)
                return 1
    items = source.items
    results = core.uninject(items, keys)
    log_results(results, stderr, options.quiet, options.results)
    if has_errors(results):
        return 1
    write_result(options, source, items, stdout)
    return 0


def validate(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn validate`: each config file checked, without manifests."""
    from krm_fn.engine.config import ConfigError, load_config

    reader = framework.Reader()
    failed = False
    for path in options.configs:
        try:
            instances = [
                i for config in framework.read_config(reader, path) for i in load_config(config)
            ]
        except ConfigError as err:
            failed = True
            for result in err.results:
                where = f" {result.field}" if result.field else ""
                print(f"{path}{where}: {result.message}", file=stderr)
            continue
        except yamlio.InputError as err:
            failed = True
            print(f"{err}", file=stderr)
            continue
        names = ", ".join(i.key for i in instances)
        print(f"{path}: valid ({names})", file=stdout)
    return 1 if failed else 0


def explain(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn explain`: the documentation of a kind or a field."""
    from krm_fn import reference

    if options.topic is None:
        stdout.write(reference.kinds_text())
        return 0
    kind, path = _topic(options.topic)
    if options.markdown:
        stdout.write(reference.explain(kind))
    else:
        stdout.write(reference.explain_text(kind, path))
    return 0


def _topic(text: str) -> tuple[str, list[str]]:
    """A kind, and a field path in it, from `Kind[.field.path]` in any letter case."""
    from krm_fn import reference

    try:
        return reference.topic(text)
    except ValueError as err:
        raise UsageError(str(err)) from None


def init(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn init`: a commented config skeleton of a kind."""
    from krm_fn import reference

    kind, _ = _topic(options.kind)
    stdout.write(reference.skeleton(kind))
    return 0


def schema(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn schema`: the JSON Schema of a kind's config."""
    import json

    from krm_fn import reference

    kind, _ = _topic(options.kind)
    stdout.write(json.dumps(reference.json_schema(kind), indent=2) + "\n")
    return 0


def definitions(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn definitions`: the function catalog (functions.yaml)."""
    from krm_fn.catalog import definitions

    stdout.write(yamlio.dump_all(definitions(options.image) if options.image else definitions()))
    return 0


def audit(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn audit`: which running pods are current, stale, missing or unverifiable."""
    from krm_fn.audit import main

    if options.dry_run and not options.restart:
        raise UsageError("--dry-run says what --restart would do: give both")
    return main(options, stdout, stderr)


def install_plugins(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn install-plugins`: kustomize's exec plugins for every kind."""
    from krm_fn.plugins import install_plugins

    return _write_plugins("install-plugins", install_plugins, options.directory, stdout, stderr)


def helm_plugin(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn helm-plugin`: a Helm 4 post-renderer plugin."""
    from krm_fn.plugins import write_helm_plugin

    def write(directory: str) -> list[str]:
        return [write_helm_plugin(directory)]

    return _write_plugins("helm-plugin", write, options.directory, stdout, stderr)


def _write_plugins(command: str, write: Any, directory: str, stdout: TextIO, stderr: TextIO) -> int:
    """Write plugin files into directory and list their paths, or say why not."""
    if directory.startswith("-"):
        raise UsageError(f"{directory!r} looks like an option, not a directory")
    try:
        paths: list[str] = write(directory)
    except OSError as err:
        print(f"krm-fn {command}: cannot write {directory}: {err.strerror}", file=stderr)
        return 1
    except ValueError as err:
        print(f"krm-fn {command}: {err}", file=stderr)
        return 1
    for path in paths:
        stdout.write(f"{path}\n")
    return 0


def completion(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn completion`: a shell completion script."""
    from krm_fn.commands.parser import build
    from krm_fn.completion import script

    parsers = build()
    stdout.write(script(options.shell, parsers.commands, parsers.summaries))
    return 0


def plugin(options: Arguments, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn plugin`: kustomize's exec plugin (kustomize runs it)."""
    return framework.plugin_command(options.config_file, stdin, stdout, stderr)


def diff(source: Any, after: list[Any]) -> str:
    """A unified diff per resource, labelled Kind/namespace/name; new and removed ones in full."""
    import difflib

    from krm_fn.manifests import sources
    from krm_fn.manifests.results import describe

    by_id = {id(d.resource): d for d in source.documents if d.resource is not None}
    chunks: list[str] = []
    present = set()
    for item in after:
        present.add(id(item))
        document = by_id.get(id(item))
        if document is not None and yamlio.same(item, document.original):
            continue
        label = describe(item)
        old = document.text.splitlines(keepends=True) if document else []
        new = sources.render(document) if document else yamlio.dump(item)
        new_lines = new.splitlines(keepends=True)
        chunks += difflib.unified_diff(
            old, new_lines, f"a/{label}" if document else "/dev/null", f"b/{label}"
        )
    for document in by_id.values():
        if id(document.resource) not in present:
            label = describe(document.resource)
            old = document.text.splitlines(keepends=True)
            chunks += difflib.unified_diff(old, [], f"a/{label}", "/dev/null")
    return "".join(chunks)


HANDLERS: dict[str, Handler] = {
    "run": run,
    "check": check,
    "uninject": uninject,
    "validate": validate,
    "explain": explain,
    "init": init,
    "schema": schema,
    "definitions": definitions,
    "audit": audit,
    "install-plugins": install_plugins,
    "helm-plugin": helm_plugin,
    "completion": completion,
    "plugin": plugin,
}
