"""krm-fn as a Helm 4 post-renderer plugin.

Helm 3 runs any executable as a post-renderer (`--post-renderer krm-fn --post-renderer-args
run ...`). Helm 4 runs only plugins of type `postrenderer/v1`, by name: `krm-fn helm-plugin DIR`
writes one, `helm plugin install DIR` installs it, and `--post-renderer krm-fn
--post-renderer-args CONFIG` runs `krm-fn run CONFIG` through it. Helm 4 discards what such a
plugin writes to stderr (even with --debug it reports only "exited with error"), so the plugin
runs `krm-fn helm-post-render`: `run`, with its messages also written to Helm's own stderr when
it fails, as Helm 3 shows them. The plugin itself is written by plugins.py.
"""

import io
import os
import stat
import sys
from collections.abc import Callable

from krm_fn.plugins import HELM_PLUGIN_NAME

HELP = """usage: krm-fn helm-post-render CONFIG...

Helm 4's post-renderer plugin runs it (krm-fn helm-plugin DIR writes the plugin): `krm-fn run`
on the manifests Helm renders, on stdin, with the configs given as --post-renderer-args; the
result on stdout, and on failure the messages on Helm's stderr too. HELM_NAMESPACE, when Helm
exports it, is the namespace of resources without one. See `krm-fn run --help`.
"""


def post_render(args: list[str], run: Callable[[list[str]], int]) -> int:
    """`run(args)`, krm-fn run on stdin: on failure its messages go to Helm's stderr too."""
    if args in (["-h"], ["--help"]):
        sys.stdout.write(HELP)
        return 0
    # Helm tells a post-renderer nothing of `-n`; an exported HELM_NAMESPACE (Helm's own default
    # namespace) reaches it, and --post-renderer-args=--namespace=NS always does
    namespace = os.environ.get("HELM_NAMESPACE")
    given = any(a in ("-n", "--namespace") or a.startswith("--namespace=") for a in args)
    if namespace and not given:
        args = ["--namespace", namespace, *args]
    captured = io.StringIO()
    real, sys.stderr = sys.stderr, captured
    try:
        code = run(args)
    finally:
        sys.stderr = real
    messages = captured.getvalue()
    real.write(messages)
    if code != 0 and messages:
        _tell_parent(messages)
    return code


def _tell_parent(messages: str) -> None:
    """Write to Helm's stderr, when Helm runs this plugin and Linux lets us reach it.

    Only a terminal or a pipe: reopening a regular file would write at another offset than
    Helm's own, which would then write over the messages.
    """
    parent_pid = os.getppid()
    if parent_pid <= 1 or os.environ.get("HELM_PLUGIN_NAME") != HELM_PLUGIN_NAME:
        return  # not run by Helm as this plugin
    path = f"/proc/{parent_pid}/fd/2"
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return
        with open(path, "a", encoding="utf-8") as parent:
            parent.write(messages)
    except OSError:
        pass
