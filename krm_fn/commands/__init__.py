"""The commands for people, thin callers of the core like the KRM function (cli.py).

run, check, uninject, validate, explain, init, schema, definitions, audit, install-plugins,
helm-plugin, completion, plugin: parser.py holds their argparse tree, arguments.py the parsed
command line (typed), files.py what they read and write, handlers.py the commands themselves.

Exit codes: 0 success; 1 an error in the input, the configs or the results, or (`--diff`,
`check`) output that differs from the input; 2 a command line that is not right.
"""

from typing import TextIO

from krm_fn.commands.arguments import Arguments, UsageError, check_output_dir
from krm_fn.commands.handlers import HANDLERS
from krm_fn.commands.parser import build
from krm_fn.framework import log_results
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result


def main(args: list[str], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; argparse prints usage errors and exits 2."""
    parser = build().top
    options = parser.parse_args(args, namespace=Arguments())
    try:
        check_output_dir(options)
        return HANDLERS[options.command](options, stdin, stdout, stderr)
    except UsageError as err:
        parser.exit(2, f"krm-fn {options.command}: {err}\n")
    except yamlio.InputError as err:
        if getattr(options, "results", "text") == "text":
            raise  # cli.main prints it
        log_results([Result(str(err), "error")], stderr, False, options.results)
        return 1
