"""The commands' argparse tree: every command, its options and their help."""

import argparse
from dataclasses import dataclass

from krm_fn.framework import RESULT_FORMATS

EPILOG = "Exit codes: 0 success; 1 errors, or differences (--diff, check); 2 usage errors."


@dataclass
class Parsers:
    """The top-level parser, and each command's parser and summary (for completion scripts)."""

    top: argparse.ArgumentParser
    commands: dict[str, argparse.ArgumentParser]
    summaries: dict[str, str]


def build() -> Parsers:
    """The parser of every command (cli.py dispatches webhook and the like before it)."""
    parser = argparse.ArgumentParser(prog="krm-fn", epilog=EPILOG)
    choices = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    built = Parsers(parser, {}, {})

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = choices.add_parser(name, help=summary, description=summary, epilog=EPILOG)
        built.commands[name], built.summaries[name] = sub, summary
        return sub

    run = command(
        "run", "Apply configs, in order, to YAML files or directories and print the result."
    )
    _config_arguments(run)
    run.add_argument("--diff", action="store_true", help="print what changed; exit 1 if any")
    run.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    run.add_argument(
        "--strict", action="store_true", help="a config that selects no workload is an error"
    )
    run.add_argument(
        "--allow-empty",
        action="store_true",
        help="an input without resources "
        "gives an empty output (a Helm chart that renders only hooks); by default "
        "it is an error",
    )
    _shared_options(run)
    where = run.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="DIR", help="write the files into DIR")
    where.add_argument("--in-place", action="store_true", help="write the files back")

    check = command(
        "check", "Exit 1, listing each resource, if a config would change them (for CI)."
    )
    _config_arguments(check)
    check.add_argument("--strict", action="store_true", help="no workload selected: an error")
    _shared_options(check)

    uninject = command(
        "uninject", "Remove every recorded injection and print the manifests as they were."
    )
    uninject.add_argument("inputs", nargs="*", help="files or directories; - or none: stdin")
    uninject.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="only the injections of this config (repeatable)",
    )
    uninject.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    _results_option(uninject)
    where = uninject.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="DIR", help="write the files into DIR")
    where.add_argument("--in-place", action="store_true", help="write the files back")

    validate = command("validate", "Check config files, without manifests.")
    validate.add_argument("configs", nargs="+", metavar="CONFIG", help="config files")

    explain = command(
        "explain", "Documentation of a kind or a field: Kind or Kind.field.path, any letter case."
    )
    explain.add_argument(
        "topic",
        nargs="?",
        help="e.g. sidecar, Sidecar.containers, ambassador.inbound.tls; none: the list of kinds",
    )
    explain.add_argument("--markdown", action="store_true", help="the Markdown of docs/patterns")

    init = command("init", "Print a commented config skeleton of a kind.")
    init.add_argument("kind", help="e.g. Sidecar")

    schema = command("schema", "Print the JSON Schema of a kind's config (for editors).")
    schema.add_argument("kind", help="e.g. Sidecar")

    definitions = command("definitions", "Print the function catalog (functions.yaml).")
    definitions.add_argument(
        "--image",
        help="the image the catalog names (default: the locally "
        "built one; a release names the published one)",
    )

    plugins = command(
        "install-plugins",
        "Write legacy kustomize exec plugins for every kind into DIR (KUSTOMIZE_PLUGIN_HOME).",
    )
    plugins.add_argument("directory", metavar="DIR", help="the plugin home to write")

    helm_plugin = command(
        "helm-plugin",
        "Write a Helm 4 post-renderer plugin into DIR "
        "(helm plugin install DIR; --post-renderer krm-fn "
        "--post-renderer-args CONFIG).",
    )
    helm_plugin.add_argument("directory", metavar="DIR", help="the plugin directory to write")

    plugin = command(
        "plugin",
        "Legacy kustomize exec plugin mode: a YAML stream on stdin "
        "(kustomize runs it; see install-plugins).",
    )
    plugin.add_argument("config_file", metavar="CONFIG", help="the config file kustomize passes")

    audit = command(
        "audit",
        "Which running pods are current, stale, missing their injection, "
        "or unverifiable (docs/audit.md).",
    )
    audit.add_argument(
        "configs",
        nargs="+",
        metavar="CONFIG_OR_DIR",
        help="config files, or directories of them (as the webhook's --config-dir)",
    )
    audit.add_argument("--kubeconfig", help="the kubeconfig (default: KUBECONFIG, ~/.kube/config)")
    audit.add_argument("--context", help="the kubeconfig context (default: the current one)")
    scope = audit.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", help="one namespace (default: the context's)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
    audit.add_argument("-l", "--selector", help="only pods with these labels (a=b,c!=d)")
    audit.add_argument(
        "--chunk-size",
        type=_positive,
        default=500,
        metavar="N",
        help="list N objects a request, as kubectl (default 500)",
    )
    audit.add_argument(
        "-o",
        "--output",
        choices=("table", "json", "yaml"),
        default="table",
        help="the report's format (json, yaml: stable, docs/audit.md)",
    )
    audit.add_argument(
        "--not-selected", action="store_true", help="also list the workloads no config selects"
    )
    audit.add_argument(
        "--webhook",
        default="krm-fn",
        metavar="NAME",
        help="the "
        "MutatingWebhookConfiguration whose namespaceSelector --restart "
        "respects (default: krm-fn, the chart's)",
    )
    audit.add_argument(
        "--restart",
        action="store_true",
        help="restart the Deployments, "
        "StatefulSets and DaemonSets of stale and missing pods, as `kubectl "
        "rollout restart` does",
    )
    audit.add_argument(
        "--dry-run", action="store_true", help="with --restart: only say what would be restarted"
    )
    audit.add_argument(
        "--batch-size",
        type=_positive,
        default=5,
        metavar="N",
        help="restart N at a time (default 5)",
    )
    audit.add_argument(
        "--batch-pause",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait between batches (default 10)",
    )

    completion = command("completion", "Print a shell completion script (bash, zsh, fish).")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")

    # dispatched by cli.main before this parser (they have their own options): listed for help
    # and for the choices of an unknown command
    command("webhook", "The mutating admission webhook: krm-fn webhook --help.")
    command(
        "admission-policy",
        "The configs as a MutatingAdmissionPolicy the API server "
        "applies itself: krm-fn admission-policy --help.",
    )
    command("helm-post-render", "`run` as the Helm 4 plugin runs it: krm-fn helm-plugin --help.")
    command(
        "argocd-generate",
        "The Argo CD plugin's generate command (argocd-cmp-server runs it in the app's directory).",
    )
    command(
        "argocd-sidecar",
        "Start a warm krm-fn for the Argo CD plugin's generate, then run the cmp-server.",
    )
    return built


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="CONFIG [FILE|DIR|-]",
        help="the config "
        "file, then the files or directories to change (read as kpt reads a "
        "package; - or none: stdin). Files right after the first that hold "
        "only krm-fn configs are configs too, applied in order",
    )
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="a config file (repeatable, applied in order); then every argument is an input",
    )


def _results_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        choices=RESULT_FORMATS,
        default="text",
        help="how results "
        "go to stderr: text lines (default), or the ResourceList `results` list "
        "as json or yaml, for scripts and CI (input errors too)",
    )


def _shared_options(parser: argparse.ArgumentParser) -> None:
    """The options of run and check that the core's run takes."""
    _results_option(parser)
    parser.add_argument(
        "--fail-on-warnings",
        action="store_true",
        help="every warning is an "
        "error (also: KRM_FN_FAIL_ON_WARNINGS=true, or failOnWarnings in a "
        "config)",
    )
    parser.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        help="the namespace of resources "
        "without one, as `kubectl apply -n` and `helm -n` place them: targets "
        "and Pod Security labels see it; it is not written (helm-post-render also "
        "reads an exported HELM_NAMESPACE)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a number of at least 1")
    return value
