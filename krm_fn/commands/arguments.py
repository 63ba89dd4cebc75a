"""The command line of the commands for people, parsed: typed, and what makes it unusable."""

import argparse
import os

FORMAT_NAMES = frozenset({"json", "yaml", "yml", "text", "wide", "name", "diff"})


class UsageError(Exception):
    """A command line that cannot be followed: exit 2."""


class Arguments(argparse.Namespace):
    """Every command's options, typed; a command sets its own (parser.py says which)."""

    command: str
    # run, check, uninject
    inputs: list[str]
    config: list[str]
    quiet: bool
    results: str
    output: str | None
    in_place: bool
    # run and check
    diff: bool
    strict: bool
    allow_empty: bool
    fail_on_warnings: bool
    namespace: str | None
    # validate, audit
    configs: list[str]
    # explain, init, schema, definitions, completion, plugin, install-plugins, helm-plugin
    topic: str | None
    markdown: bool
    kind: str
    image: str | None
    shell: str
    config_file: str
    directory: str
    # audit
    kubeconfig: str | None
    context: str | None
    all_namespaces: bool
    selector: str | None
    chunk_size: int
    not_selected: bool
    webhook: str
    restart: bool
    dry_run: bool
    batch_size: int
    batch_pause: float


def check_output_dir(options: Arguments) -> None:
    """Refuse `-o json` and the like: kubectl's -o is a format; krm-fn's, as kpt's, a directory."""
    output = getattr(options, "output", None) if options.command != "audit" else None
    if output and output.lower() in FORMAT_NAMES and not os.path.exists(output):
        raise UsageError(
            f"-o {output}: -o names the directory to write the files into (as in kpt), not a "
            f"format; for results as {output}, --results json|yaml; for changes, --diff; to "
            f"write into a new directory named {output}, say -o ./{output}"
        )
