"""The plugins krm-fn writes for the tools that run it, each running this installation's krm-fn.

kustomize's legacy exec plugins, one small script per kind (`krm-fn install-plugins`): kustomize
finds the plugin of a transformer at $KUSTOMIZE_PLUGIN_HOME/<apiVersion>/<lowercase kind>/<Kind>
and runs it with the config file as its argument and the resources on stdin; each script runs
`krm-fn plugin` with the Python this krm-fn is installed in. Under a process that serves them
(`plugin_server`: Argo CD's generate), a script starts no Python: it hands its config and stream
to that process, which runs the same `krm-fn plugin` in-process and sends back its stdout, stderr
and exit code.

Every command runs that Python isolated (`-I`): kustomize starts a plugin in the kustomization's
directory and Helm a post-renderer wherever it runs, and `python -m` would otherwise import a
`krm_fn` folder found there instead of krm-fn.

Helm 4's post-renderer plugin (`krm-fn helm-plugin DIR`): a plugin.yaml that runs
`krm-fn helm-post-render` (helm.py).
"""

import contextlib
import errno
import os
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from krm_fn import __version__

if TYPE_CHECKING:
    import threading

HELM_PLUGIN_NAME = "krm-fn"
POST_RENDER_COMMAND = "helm-post-render"


SERVER_ENV = "KRM_FN_PLUGIN_SERVER"
SERVER_THREAD = "krm-fn plugin server"
# Under a process that serves them (plugin_server), a plugin hands over its config file's path
# and its stream, and prints what the process answers; anywhere else it runs krm-fn itself.
SERVED = f"""\
server="${{{SERVER_ENV}-}}"
if [ "$#" -eq 1 ] && [ -n "$server" ] && [ -p "$server/request" ]; then
  {{ printf '%s\\000%s\\000' "$$" "$1" && cat; }} >"$server/request" || exit 1
  cat "$server/response" && cat "$server/stderr" >&2 && read -r code <"$server/status" \\
    && exit "$code"
  exit 1
fi
"""


def plugin_scripts(python: str = sys.executable) -> dict[str, str]:
    """Each exec plugin's path (relative to the plugin home) and text, running `python`."""
    from krm_fn.kinds import API_VERSION, KINDS

    return {
        os.path.join(API_VERSION, kind.lower(), kind): (
            "#!/bin/sh\n"
            f"# krm-fn {__version__}: legacy kustomize exec plugin for {API_VERSION} {kind}\n"
            f"{SERVED}"
            f'exec {shlex.quote(python)} -I -m krm_fn plugin "$@"\n'
        )
        for kind in KINDS
    }


def _python_of(script: str) -> str | None:
    """The Python a plugin script runs, if the script is one krm-fn writes."""
    last = script.split("\n")[-2:]
    words = shlex.split(last[0]) if last[1:] == [""] and last[0].startswith("exec ") else []
    return words[1] if len(words) == 7 else None


def install_plugins(directory: str) -> list[str]:
    """Write one legacy exec plugin per kind under directory (which it may create); their paths."""
    paths = []
    for relative, text in plugin_scripts().items():
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def plugins_intact(directory: str) -> bool:
    """Whether directory holds this krm-fn's exec plugins, as written, and nothing else.

    Nothing else: kustomize runs any plugin it finds under its plugin home for a kind a
    kustomization names. No link below the directory, every script executable and unchanged.
    """
    import stat

    expected = plugin_scripts()
    folders = set()
    for relative in expected:
        parent = os.path.dirname(relative)
        while parent:
            folders.add(parent)
            parent = os.path.dirname(parent)
    found_files, found_folders = set(), set()
    try:
        for root, directories, files in os.walk(directory):
            relative = os.path.relpath(root, directory)
            for name in directories:
                path = os.path.normpath(os.path.join(relative, name))
                if os.path.islink(os.path.join(root, name)):
                    return False
                found_folders.add(path)
            for name in files:
                found_files.add(os.path.normpath(os.path.join(relative, name)))
        if found_files != set(expected) or found_folders != folders:
            return False
        written: dict[str, str] = {}  # as this Python writes them, by the name they give it
        for relative in expected:
            path = os.path.join(directory, relative)
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode) or mode & 0o111 != 0o111:
                return False
            with open(path, encoding="utf-8") as handle:
                text = handle.read(4096)
            if not written:
                python = _python_of(text)
                if python is None or not os.path.samefile(python, sys.executable):
                    return False
                written = plugin_scripts(python)
            if text != written[relative]:
                return False
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return True


def helm_plugin_manifest() -> dict[str, object]:
    """The plugin.yaml of the Helm 4 post-renderer plugin, running this installation's krm-fn."""
    python = sys.executable
    if "$" in python:  # Helm expands $VARIABLES in a plugin's command and arguments
        raise ValueError(f"the Python path {python!r} holds a $, which Helm would expand")
    return {
        "apiVersion": "v1",
        "type": "postrenderer/v1",
        "name": HELM_PLUGIN_NAME,
        "version": __version__,
        "runtime": "subprocess",
        "runtimeConfig": {
            "platformCommand": [
                {"command": python, "args": ["-I", "-m", "krm_fn", POST_RENDER_COMMAND]},
            ],
        },
    }


def write_helm_plugin(directory: str) -> str:
    """Write plugin.yaml into directory (created if missing); its path."""
    from krm_fn.manifests import yamlio

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "plugin.yaml")
    header = (
        f"# krm-fn {__version__}: a Helm 4 post-renderer plugin. Install: helm plugin install "
        f"DIR\n# Use: helm install|upgrade|template ... --post-renderer {HELM_PLUGIN_NAME} "
        "--post-renderer-args CONFIG\n"
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + yamlio.dump(helm_plugin_manifest()))
    return path


@contextlib.contextmanager
def plugin_server(settings: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Answer, in this process, the exec plugins of the builds run meanwhile: their environment.

    kustomize starts a plugin per krm-fn transformer, which would start a Python of its own and
    import krm-fn (most of the time of a small build). Given this environment, the plugin
    script instead hands its config file's path and its stream to this process through a FIFO
    in a private directory, and prints the answer: the same `krm-fn plugin` run, at the same
    point of kustomize's pipeline. `settings` (KRM_FN_* variables) apply to the runs here.
    """
    import tempfile
    import threading

    os.environ.update(settings)
    directory = tempfile.mkdtemp(prefix="krm-fn-plugin-server-")
    for name in ("request", "response"):
        os.mkfifo(os.path.join(directory, name), 0o600)
    stop = threading.Event()
    thread = threading.Thread(
        target=_serve, args=(directory, stop), name=SERVER_THREAD, daemon=True
    )
    thread.start()
    try:
        yield {SERVER_ENV: directory}
    finally:
        stop.set()
        while thread.is_alive():  # wherever it waits, an open of a FIFO: open the other end
            for name, flags in (("request", os.O_WRONLY), ("response", os.O_RDONLY)):
                with contextlib.suppress(OSError):
                    os.close(os.open(os.path.join(directory, name), flags | os.O_NONBLOCK))
            thread.join(0.01)
        shutil.rmtree(directory, ignore_errors=True)


def _serve(directory: str, stop: "threading.Event") -> None:
    """Answer plugin requests until stopped: a config path and a stream in, the run's answer out.

    A request is the plugin's process id, its config file's path and its stream; the answer its
    stderr and exit code (files) and its stdout (a FIFO the plugin reads once it has sent all).
    """
    import importlib

    for module in ("krm_fn.framework", "krm_fn.engine.core"):  # imported while kustomize starts
        importlib.import_module(module)

    def path(name: str) -> str:
        return os.path.join(directory, name)

    while not stop.is_set():
        with open(path("request"), "rb") as request:
            pid, _, rest = request.read().partition(b"\0")
        if stop.is_set() or not pid.isdigit():
            continue
        config, _, stream = rest.partition(b"\0")
        output, messages, code = _answer(os.fsdecode(config), stream)
        for name, text in (("stderr", messages), ("status", f"{code}\n")):
            with open(path(name), "w", encoding="utf-8") as handle:
                handle.write(text)
        reader = _reader(path("response"), int(pid), stop)
        if reader is not None:
            with contextlib.suppress(OSError), os.fdopen(reader, "w", encoding="utf-8") as out:
                out.write(output)


def _reader(fifo: str, pid: int, stop: "threading.Event") -> int | None:
    """The FIFO opened for writing once the plugin opens it; None if the plugin is gone."""
    while not stop.is_set():
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as err:
            if err.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
                return None
        else:
            os.set_blocking(descriptor, True)
            return descriptor
        try:
            os.kill(pid, 0)
        except ProcessLookupError:  # killed before it read its answer
            return None
        stop.wait(0.0005)
    return None


def _answer(config: str, stream: bytes) -> tuple[str, str, int]:
    """`krm-fn plugin CONFIG` with the stream on stdin: its stdout, stderr and exit code."""
    import io

    from krm_fn import framework

    stdin = io.TextIOWrapper(io.BytesIO(stream), encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        code = framework.guarded(
            lambda: framework.plugin_command(config, stdin, stdout, stderr), stderr
        )
    except Exception:  # KRM_FN_DEBUG: the traceback, as the plugin would have shown it
        import traceback

        stderr.write(traceback.format_exc())
        code = 1
    return stdout.getvalue(), stderr.getvalue(), code
