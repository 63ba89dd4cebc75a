"""The commands for people, thin callers of the core like the KRM function (cli.py).

run, check, uninject, validate, explain, init, schema, definitions, install-plugins, helm-plugin.

Exit codes: 0 success; 1 an error in the input, the configs or the results, or (`--diff`,
`check`) output that differs from the input; 2 a command line that is not right.
"""

import argparse
import os
from typing import Any, TextIO

from krm_fn import framework
from krm_fn.framework import RESULT_FORMATS, log_results
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result, has_errors

EPILOG = "Exit codes: 0 success; 1 errors, or differences (--diff, check); 2 usage errors."


class UsageError(Exception):
    """A command line that cannot be followed: exit 2."""


def main(args: list[str], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; argparse prints usage errors and exits 2."""
    parser = _parser()
    options = parser.parse_args(args)
    try:
        _check_output_dir(options)
        code: int = options.handler(options, stdin, stdout, stderr)
    except UsageError as err:
        parser.exit(2, f"krm-fn {options.command}: {err}\n")
    except yamlio.InputError as err:
        if getattr(options, "results", "text") == "text":
            raise  # cli.main prints it
        log_results([Result(str(err), "error")], stderr, False, options.results)
        return 1
    return code


FORMAT_NAMES = frozenset({"json", "yaml", "yml", "text", "wide", "name", "diff"})


def _check_output_dir(options: Any) -> None:
    """Refuse `-o json` and the like: kubectl's -o is a format; krm-fn's, as kpt's, a directory."""
    output = getattr(options, "output", None) if options.command != "audit" else None
    if output and output.lower() in FORMAT_NAMES and not os.path.exists(output):
        raise UsageError(
            f"-o {output}: -o names the directory to write the files into (as in kpt), not a "
            f"format; for results as {output}, --results json|yaml; for changes, --diff; to "
            f"write into a new directory named {output}, say -o ./{output}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="krm-fn", epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary, epilog=EPILOG)

    run = command("run", "Apply configs, in order, to YAML files or directories and print the "
                  "result.")  # fmt: skip
    _config_arguments(run)
    run.add_argument("--diff", action="store_true", help="print what changed; exit 1 if any")
    run.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    run.add_argument("--strict", action="store_true", help="a config that selects no workload "
                     "is an error")  # fmt: skip
    run.add_argument("--allow-empty", action="store_true", help="an input without resources "
                     "gives an empty output (a Helm chart that renders only hooks); by default "
                     "it is an error")  # fmt: skip
    _shared_options(run)
    where = run.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="DIR", help="write the files into DIR")
    where.add_argument("--in-place", action="store_true", help="write the files back")
    run.set_defaults(handler=_run)

    check = command("check", "Exit 1, listing each resource, if a config would change them "
                    "(for CI).")  # fmt: skip
    _config_arguments(check)
    check.add_argument("--strict", action="store_true", help="no workload selected: an error")
    _shared_options(check)
    check.set_defaults(handler=_check)

    uninject = command("uninject", "Remove every recorded injection and print the manifests "
                       "as they were.")  # fmt: skip
    uninject.add_argument("inputs", nargs="*", help="files or directories; - or none: stdin")
    uninject.add_argument("--config", action="append", default=[], metavar="FILE",
                          help="only the injections of this config (repeatable)")  # fmt: skip
    uninject.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    _results_option(uninject)
    where = uninject.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="DIR", help="write the files into DIR")
    where.add_argument("--in-place", action="store_true", help="write the files back")
    uninject.set_defaults(handler=_uninject)

    validate = command("validate", "Check config files, without manifests.")
    validate.add_argument("configs", nargs="+", metavar="CONFIG", help="config files")
    validate.set_defaults(handler=_validate)

    explain = command("explain", "Documentation of a kind or a field: Kind or Kind.field.path, "
                      "any letter case.")  # fmt: skip
    explain.add_argument("topic", nargs="?", help="e.g. sidecar, Sidecar.containers, "
                         "ambassador.inbound.tls; none: the list of kinds")  # fmt: skip
    explain.add_argument("--markdown", action="store_true", help="the Markdown of docs/patterns")
    explain.set_defaults(handler=_explain)

    init = command("init", "Print a commented config skeleton of a kind.")
    init.add_argument("kind", help="e.g. Sidecar")
    init.set_defaults(handler=_init)

    schema = command("schema", "Print the JSON Schema of a kind's config (for editors).")
    schema.add_argument("kind", help="e.g. Sidecar")
    schema.set_defaults(handler=_schema)

    definitions = command("definitions", "Print the function catalog (functions.yaml).")
    definitions.add_argument("--image", help="the image the catalog names (default: the locally "
                             "built one; a release names the published one)")  # fmt: skip
    definitions.set_defaults(handler=_definitions)

    plugins = command("install-plugins", "Write legacy kustomize exec plugins for every kind "
                      "into DIR (KUSTOMIZE_PLUGIN_HOME).")  # fmt: skip
    plugins.add_argument("directory", metavar="DIR", help="the plugin home to write")
    plugins.set_defaults(handler=_install_plugins)

    helm_plugin = command("helm-plugin", "Write a Helm 4 post-renderer plugin into DIR "
                          "(helm plugin install DIR; --post-renderer krm-fn "
                          "--post-renderer-args CONFIG).")  # fmt: skip
    helm_plugin.add_argument("directory", metavar="DIR", help="the plugin directory to write")
    helm_plugin.set_defaults(handler=_helm_plugin)

    plugin = command("plugin", "Legacy kustomize exec plugin mode: a YAML stream on stdin "
                     "(kustomize runs it; see install-plugins).")  # fmt: skip
    plugin.add_argument("config", help="the config file kustomize passes")
    plugin.set_defaults(handler=_plugin)

    audit = command("audit", "Which running pods are current, stale, missing their injection, "
                    "or unverifiable (docs/audit.md).")  # fmt: skip
    audit.add_argument("configs", nargs="+", metavar="CONFIG_OR_DIR", help="config files, or "
                       "directories of them (as the webhook's --config-dir)")  # fmt: skip
    audit.add_argument("--kubeconfig", help="the kubeconfig (default: KUBECONFIG, ~/.kube/config)")
    audit.add_argument("--context", help="the kubeconfig context (default: the current one)")
    scope = audit.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", help="one namespace (default: the context's)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
    audit.add_argument("-l", "--selector", help="only pods with these labels (a=b,c!=d)")
    audit.add_argument("--chunk-size", type=_positive, default=500, metavar="N",
                       help="list N objects a request, as kubectl (default 500)")  # fmt: skip
    audit.add_argument("-o", "--output", choices=("table", "json", "yaml"), default="table",
                       help="the report's format (json, yaml: stable, docs/audit.md)")  # fmt: skip
    audit.add_argument("--not-selected", action="store_true", help="also list the workloads "
                       "no config selects")  # fmt: skip
    audit.add_argument("--webhook", default="krm-fn", metavar="NAME", help="the "
                       "MutatingWebhookConfiguration whose namespaceSelector --restart "
                       "respects (default: krm-fn, the chart's)")  # fmt: skip
    audit.add_argument("--restart", action="store_true", help="restart the Deployments, "
                       "StatefulSets and DaemonSets of stale and missing pods, as `kubectl "
                       "rollout restart` does")  # fmt: skip
    audit.add_argument("--dry-run", action="store_true", help="with --restart: only say what "
                       "would be restarted")  # fmt: skip
    audit.add_argument("--batch-size", type=_positive, default=5, metavar="N",
                       help="restart N at a time (default 5)")  # fmt: skip
    audit.add_argument("--batch-pause", type=float, default=10.0, metavar="SECONDS",
                       help="wait between batches (default 10)")  # fmt: skip
    audit.set_defaults(handler=_audit)

    completion = command("completion", "Print a shell completion script (bash, zsh, fish).")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")
    completion.set_defaults(handler=_completion)

    # dispatched by cli.main before this parser (they have their own options): listed for help
    # and for the choices of an unknown command
    command("webhook", "The mutating admission webhook: krm-fn webhook --help.")
    command("admission-policy", "The configs as a MutatingAdmissionPolicy the API server "
            "applies itself: krm-fn admission-policy --help.")  # fmt: skip
    command("helm-post-render", "`run` as the Helm 4 plugin runs it: krm-fn helm-plugin --help.")
    command("argocd-generate", "The Argo CD plugin's generate command (argocd-cmp-server runs "
            "it in the app's directory).")  # fmt: skip
    return parser


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", metavar="CONFIG [FILE|DIR|-]", help="the config "
                        "file, then the files or directories to change (read as kpt reads a "
                        "package; - or none: stdin). Files right after the first that hold "
                        "only krm-fn configs are configs too, applied in order")  # fmt: skip
    parser.add_argument("-c", "--config", action="append", default=[], metavar="FILE",
                        help="a config file (repeatable, applied in order); then every "
                        "argument is an input")  # fmt: skip


def _results_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", choices=RESULT_FORMATS, default="text", help="how results "
                        "go to stderr: text lines (default), or the ResourceList `results` list "
                        "as json or yaml, for scripts and CI (input errors too)")  # fmt: skip


def _shared_options(parser: argparse.ArgumentParser) -> None:
    """The options of run and check that the core's run takes."""
    _results_option(parser)
    parser.add_argument("--fail-on-warnings", action="store_true", help="every warning is an "
                        "error (also: KRM_FN_FAIL_ON_WARNINGS=true, or failOnWarnings in a "
                        "config)")  # fmt: skip
    parser.add_argument("-n", "--namespace", metavar="NS", help="the namespace of resources "
                        "without one, as `kubectl apply -n` and `helm -n` place them: targets "
                        "and Pod Security labels see it; it is not written (helm-post-render also "
                        "reads an exported HELM_NAMESPACE)")  # fmt: skip


# inputs and outputs ----------------------------------------------------------------------------
def _source(inputs: list[str], stdin: TextIO, allow_empty: bool | None = None) -> Any:
    """What the inputs hold; no resources is an error unless allowed (None: no such option)."""
    from krm_fn.manifests import sources

    texts: list[tuple[str, str]] = []
    for name in inputs or ["-"]:
        if name == "-":
            texts.append(("stdin", framework.read_stream(stdin, "stdin")))
        elif os.path.isdir(name):
            texts += [(path, framework.read_file(path)) for path in sources.package_files(name)]
        elif os.path.exists(name):
            texts.append((name, framework.read_file(name)))
        else:
            raise yamlio.InputError(f"{name}: no such file or directory")
    source = sources.read(texts)
    names = [
        f"{d.path} (document {d.index + 1})" for d in source.documents if d.resource is not None
    ]
    framework.check_items(source.items, ", ".join(inputs or ["stdin"]), names)
    if not source.items and not allow_empty:
        message = framework.NO_RESOURCES.format(", ".join(inputs or ["stdin"]))
        if allow_empty is not None:
            message += "; --allow-empty accepts it (a Helm chart that renders only hooks)"
        raise yamlio.InputError(message)
    return source


def _config(path: str) -> list[Any]:
    """The configs in a file, in order: one per YAML document (`---`)."""
    from krm_fn.engine.config import expected_config

    documents = yamlio.load_all(framework.read_file(path), path)
    if not documents:
        raise yamlio.InputError(f"{path} holds no config: {expected_config()}")
    for index, document in enumerate(documents):
        if not isinstance(document, dict) or not document.get("kind"):
            where = f"{path} (document {index + 1})" if len(documents) > 1 else path
            raise yamlio.InputError(f"{where} is not a krm-fn config: {expected_config()}")
    return documents


def _split_configs(options: Any) -> tuple[list[tuple[str, Any]], list[str]]:
    """The configs (file, document) and the inputs of run and check."""
    inputs = list(options.inputs)
    paths = list(options.config)
    if not paths:
        if not inputs:
            raise UsageError("a config is required: CONFIG [FILE|DIR|-]..., or --config FILE")
        paths.append(inputs.pop(0))
        while inputs and _only_configs(inputs[0]):
            paths.append(inputs.pop(0))
    configs = [(path, document) for path in paths for document in _config(path)]
    return configs, inputs


def _only_configs(path: str) -> bool:
    """Whether a file holds krm-fn configs and nothing else (a few bytes' look, then a parse)."""
    from krm_fn.kinds import API_VERSION

    if path == "-" or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        if API_VERSION.encode() not in handle.read(65_536):
            return False
    try:
        documents = yamlio.load_all(framework.read_file(path), path)
    except yamlio.InputError:
        return False
    return bool(documents) and all(
        isinstance(d, dict) and d.get("apiVersion") == API_VERSION for d in documents
    )


def _write(options: Any, source: Any, items: list[Any], stdout: TextIO) -> None:
    """The result on stdout, into a directory, or back into the files."""
    from krm_fn.manifests import sources

    before = {id(d.resource) for d in source.documents if d.resource is not None}
    now = {id(i) for i in items}
    removed = before - now
    added = [(i, _added_path(i, source)) for i in items if id(i) not in before]
    if not (options.output or options.in_place):
        documents = [d for d in source.documents if id(d.resource) not in removed]
        pieces = [sources.render(d) for d in documents]  # comment-only ones too: a last `---`
        pieces += [yamlio.dump(i) for i, _ in added]
        stdout.write("".join(sources.joined(pieces)))
        return
    files = sources.rendered_files(source, added, removed)
    on_disk = [f for f in source.files if f != "stdin"]
    root = (
        os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in on_disk])
        if on_disk
        else "."
    )
    owners = {path: resource for resource, path in added}
    writes = []  # every target proven inside its directory before anything is written
    for path, text in files.items():
        if path == "stdin":
            continue
        relative = os.path.relpath(os.path.abspath(path), root)
        target = path if options.in_place else os.path.join(options.output, relative)
        _check_inside(target, root if options.in_place else options.output, owners.get(path))
        writes.append((path, target, text))
    if "stdin" in files:
        stdout.write(files["stdin"])
    for path, target, text in writes:
        if options.in_place and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                if handle.read() == text:
                    continue  # a file krm-fn did not change is not touched
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        if not text.strip():
            if os.path.exists(target):
                os.remove(target)
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)


def _check_inside(target: str, directory: str, resource: Any) -> None:
    """Refuse a path that is not inside `directory` once links are resolved (or has a NUL)."""
    from krm_fn.manifests.results import describe

    what = describe(resource) if resource is not None else target
    if "\0" in target:
        raise yamlio.InputError(f"{what}: refusing to write a file whose path has a NUL byte")
    base = os.path.realpath(directory)
    resolved = os.path.realpath(target)
    if os.path.commonpath([base, resolved]) != base:
        raise yamlio.InputError(
            f"{what}: refusing to write {target}, which is outside {directory} "
            f"(it resolves to {resolved}); nothing was written"
        )


def _added_path(resource: Any, source: Any) -> str:
    """Where a generated resource goes: `<kind>_<name>.yaml` next to the first file.

    As kpt writes what a function adds to a package.
    """
    first = next((f for f in source.files if f != "stdin"), None)
    if first is None:
        return "stdin"
    name = (
        f"{str(resource.get('kind')).lower()}_{(resource.get('metadata') or {}).get('name')}.yaml"
    )
    return os.path.join(os.path.dirname(first), name)


def _apply_configs(
    configs: list[tuple[str, Any]], source: Any, options: Any
) -> tuple[list[Any], list[Result]]:
    """Each config in turn, as a pipeline of functions runs; the first with errors stops it.

    A result about a config itself names the config's file.
    """
    settings = framework.run_options(
        fail_on_warnings=options.fail_on_warnings,
        strict=options.strict,
        namespace=options.namespace,
    )
    items = source.items
    results: list[Result] = []
    for path, config in configs:
        found = framework.transform(config, items, settings)
        for result in found:
            if result.resource is config or (result.resource is None and not result.tags):
                result.file = path
        results += found
        if has_errors(found):
            break
    return items, results


# the commands ------------------------------------------------------------------------------------
def _run(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    configs, inputs = _split_configs(options)
    source = _source(inputs, stdin, options.allow_empty)
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
    _write(options, source, items, stdout)
    return 0


def _check(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    configs, inputs = _split_configs(options)
    source = _source(inputs, stdin)
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


def _uninject(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.engine import core
    from krm_fn.engine.config import ConfigError, load_config

    source = _source(options.inputs, stdin)
    keys: list[str] | None = None
    if options.config:
        keys = []
        for path in options.config:
            try:
                keys += [i.key for config in _config(path) for i in load_config(config)]
            except ConfigError as err:
                log_results(err.results, stderr, True, options.results)
                return 1
    items = source.items
    results = core.uninject(items, keys)
    log_results(results, stderr, options.quiet, options.results)
    if has_errors(results):
        return 1
    _write(options, source, items, stdout)
    return 0


def _validate(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.engine.config import ConfigError, load_config

    failed = False
    for path in options.configs:
        try:
            instances = [i for config in _config(path) for i in load_config(config)]
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


def _explain(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn import reference

    if options.topic is None:
        stdout.write(reference.kinds_text())
        return 0
    try:
        kind, path = reference.topic(options.topic)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if options.markdown:
        stdout.write(reference.explain(kind))
    else:
        stdout.write(reference.explain_text(kind, path))
    return 0


def _init(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn import reference

    try:
        kind, _ = reference.topic(options.kind)
    except ValueError as err:
        raise UsageError(str(err)) from None
    stdout.write(reference.skeleton(kind))
    return 0


def _schema(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    import json

    from krm_fn import reference

    try:
        kind, _ = reference.topic(options.kind)
    except ValueError as err:
        raise UsageError(str(err)) from None
    stdout.write(json.dumps(reference.json_schema(kind), indent=2) + "\n")
    return 0


def _definitions(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.catalog import definitions

    stdout.write(yamlio.dump_all(definitions(options.image) if options.image else definitions()))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a number of at least 1")
    return value


def _audit(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.audit import main

    if options.dry_run and not options.restart:
        raise UsageError("--dry-run says what --restart would do: give both")
    return main(options, stdout, stderr)


def _install_plugins(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.plugins import install_plugins

    return _write_plugins("install-plugins", install_plugins, options.directory, stdout, stderr)


def _helm_plugin(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
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


def _completion(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn.completion import script

    stdout.write(script(options.shell, _parser()))
    return 0


def _plugin(options: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    return framework.plugin_command(options.config, stdin, stdout, stderr)


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
