"""krm-fn as a Helm 4 post-renderer plugin.

Helm 3 runs any executable as a post-renderer (`--post-renderer krm-fn --post-renderer-args
run ...`). Helm 4 runs only plugins of type `postrenderer/v1`, by name: `krm-fn helm-plugin DIR`
writes one, `helm plugin install DIR` installs it, and `--post-renderer krm-fn
--post-renderer-args CONFIG` runs `krm-fn run CONFIG` through it. Helm 4 discards what such a
plugin writes to stderr (even with --debug it reports only "exited with error"), so the plugin
runs `krm-fn helm-post-render`: `run`, with its messages also written to Helm's own stderr when
it fails, as Helm 3 shows them.
"""

import io
import os
import stat
import sys

PLUGIN_NAME = "krm-fn"
POST_RENDER_COMMAND = "helm-post-render"


def plugin_manifest() -> dict[str, object]:
    """The plugin.yaml of the Helm 4 post-renderer plugin, running this installation's krm-fn."""
    from krm_fn import __version__

    python = sys.executable
    if "$" in python:  # Helm expands $VARIABLES in a plugin's command and arguments
        raise ValueError(f"the Python path {python!r} holds a $, which Helm would expand")
    return {
        "apiVersion": "v1",
        "type": "postrenderer/v1",
        "name": PLUGIN_NAME,
        "version": __version__,
        "runtime": "subprocess",
        "runtimeConfig": {
            "platformCommand": [
                {"command": python, "args": ["-m", "krm_fn", POST_RENDER_COMMAND]},
            ],
        },
    }


def write_plugin(directory: str) -> str:
    """Write plugin.yaml into directory (created if missing); its path."""
    from krm_fn import __version__, yamlio

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "plugin.yaml")
    header = (
        f"# krm-fn {__version__}: a Helm 4 post-renderer plugin. Install: helm plugin install "
        f"DIR\n# Use: helm install|upgrade|template ... --post-renderer {PLUGIN_NAME} "
        "--post-renderer-args CONFIG\n"
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + yamlio.dump(plugin_manifest()))
    return path


def post_render(args: list[str]) -> int:
    """`krm-fn run ARGS` on stdin; on failure its messages go to Helm's stderr too."""
    from krm_fn import cli

    # Helm tells a post-renderer nothing of `-n`; an exported HELM_NAMESPACE (Helm's own default
    # namespace) reaches it, and --post-renderer-args=--namespace=NS always does
    namespace = os.environ.get("HELM_NAMESPACE")
    given = any(a in ("-n", "--namespace") or a.startswith("--namespace=") for a in args)
    if namespace and not given:
        args = ["--namespace", namespace, *args]
    captured = io.StringIO()
    real, sys.stderr = sys.stderr, captured
    try:
        code = cli.main(["run", *args])
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
    if parent_pid <= 1 or os.environ.get("HELM_PLUGIN_NAME") != PLUGIN_NAME:
        return  # not run by Helm as this plugin
    path = f"/proc/{parent_pid}/fd/2"
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return
        with open(path, "a", encoding="utf-8") as parent:
            parent.write(messages)
    except OSError:
        pass
