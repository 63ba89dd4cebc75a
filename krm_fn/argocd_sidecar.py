"""`krm-fn argocd-sidecar COMMAND...`: a warm krm-fn beside argocd-cmp-server in the sidecar.

The sidecar's command becomes `krm-fn argocd-sidecar /var/run/argocd/argocd-cmp-server`: this
starts the warm process and then becomes the command (the cmp-server keeps the container's first
process and its signals). The warm process imports Python's and krm-fn's modules once and
listens on a Unix socket in a private directory of the sidecar's TMPDIR (argocd_generate.py);
for each generation it forks a child that takes the client's directory, environment and
standard streams and runs argocd.main, exactly what a cold generate runs. A generation pays for
kustomize and the transform, not for starting Python and importing krm-fn (about 60 ms).

- One child per generation, so generations run side by side as the cmp-server starts them, and
  nothing of one (its environment, its directory, a module-level cache) reaches another.
- The client waits on the connection for its exit code. If the client dies (the cmp-server
  kills a generation that took too long), the child kills itself and what it started (kustomize,
  helm): they share a process group of their own.
- The warm process ends when the command it started ends (checked every second), and refuses a
  socket directory that is not this user's alone. When it is not there, or not listening yet,
  generate runs cold: the same output, only slower.
"""

import os
import sys
from typing import TYPE_CHECKING, TextIO

from krm_fn.argocd_generate import LENGTH_BYTES, STANDARD_STREAMS, VERSION, socket_path

if TYPE_CHECKING:
    import contextlib
    import socket

HELP = """usage: krm-fn argocd-sidecar COMMAND [ARG]...

Start krm-fn's warm process for the Argo CD plugin's generate, then run COMMAND in this process
(the sidecar's argocd-cmp-server: /var/run/argocd/argocd-cmp-server). Generations then skip
starting Python and importing krm-fn; without the warm process they run cold, with the same
output. See kustomization-examples/argocd-cmp-plugin.
"""
# what a generation imports: loaded once in the warm process (pydantic only for errors: not here)
PRELOADED = (
    "json",
    "krm_fn.argocd",
    "krm_fn.framework",
    "krm_fn.engine.core",
    "krm_fn.plugins",
    "krm_fn.patterns",
    "krm_fn.patterns.validators",
)
CHECK_PARENT_SECONDS = 1.0
BACKLOG = 64


class SidecarError(Exception):
    """The warm process cannot listen: it says why and generations run cold."""


def main(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Start the warm process, then become COMMAND."""
    if args[:1] in (["-h"], ["--help"]) or not args:
        (stdout if args else stderr).write(HELP)
        return 0 if args else 2
    parent = os.getpid()
    stdout.flush()
    stderr.flush()
    if os.fork() == 0:
        try:
            serve(socket_path(os.environ), parent, stderr)
        except SidecarError as err:
            stderr.write(f"krm-fn argocd-sidecar: {err}; generate runs cold\n")
        except BaseException:  # the sidecar's log shows it; generate runs cold
            import traceback

            stderr.write(traceback.format_exc())
        finally:
            stderr.flush()
            os._exit(0)
    try:
        os.execvp(args[0], args)
    except OSError as err:
        stderr.write(f"krm-fn argocd-sidecar: cannot run {args[0]}: {err.strerror}\n")
        return 127


def listening(path: str) -> "socket.socket":
    """The warm process's socket at path, in a directory this user alone may enter."""
    import socket
    import stat

    directory = os.path.dirname(path)
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        raise SidecarError(f"cannot make {directory}: {err.strerror}") from None
    found = os.lstat(directory)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise SidecarError(
            f"{directory} is not a directory of this user's alone (uid {os.getuid()}, mode 700)"
        )
    if os.path.lexists(path):  # a socket left by a warm process that ended
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
    except OSError as err:
        listener.close()
        raise SidecarError(f"cannot listen on {path}: {err.strerror}") from None
    listener.listen(BACKLOG)
    return listener


def serve(path: str, parent: int, log: TextIO) -> None:
    """Fork a child per generation until the parent (the command) ends."""
    import gc
    import importlib
    import signal

    for module in PRELOADED:
        importlib.import_module(module)
    _preload_patterns()
    listener = listening(path)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    listener.settimeout(CHECK_PARENT_SECONDS)
    log.write(f"krm-fn argocd-sidecar: warm, listening on {path}\n")
    log.flush()
    gc.collect()
    gc.freeze()  # what is loaded stays shared with the children (no copy on a collection)
    try:
        while os.getppid() == parent:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            if os.fork() == 0:
                try:
                    listener.close()
                    _generation(connection)
                finally:  # the child never serves
                    os._exit(1)
            connection.close()
    finally:
        listener.close()
        if os.path.exists(path):
            os.unlink(path)


def _preload_patterns() -> None:
    """Import every pattern's module and generated validator, as a generation would."""
    import importlib
    import pkgutil

    for package in ("krm_fn.patterns", "krm_fn.patterns.validators"):
        for found in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if not found.ispkg:
                importlib.import_module(f"{package}.{found.name}")


def _generation(connection: "socket.socket") -> None:
    """In the child: take the client's streams, directory and environment, run generate, exit.

    A line in the sidecar's log says which app was generated, how long it took and its exit code.
    """
    import signal
    import time

    started = time.monotonic()
    log = os.dup(2)  # the sidecar's log, before stderr becomes the client's
    code = 1
    try:
        os.setpgid(0, 0)  # with kustomize or helm: killed together if the client dies
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the child waits for its own children
        descriptors, environment = _received(connection)
        *streams, directory = descriptors
        os.fchdir(directory)
        os.close(directory)
        for number, descriptor in zip(STANDARD_STREAMS, streams, strict=True):
            os.dup2(descriptor, number)
            os.close(descriptor)
        _take_environment(environment)
        _watch(connection)
        code = _generate()
    except BaseException:  # a child must end here, whatever happened
        import traceback

        with _suppressed():
            sys.stderr.write(traceback.format_exc())
    with _suppressed():
        sys.stdout.flush()
        sys.stderr.flush()
    for number in STANDARD_STREAMS:  # the cmp-server reads the output until every copy closes
        with _suppressed():
            os.close(number)
    app = os.environ.get("ARGOCD_APP_NAME", "")  # the Application's: repr, one line whatever it is
    took = (time.monotonic() - started) * 1000
    with _suppressed():
        line = f"krm-fn argocd-sidecar: generated app {app!r} in {took:.0f} ms, exit code {code}\n"
        os.write(log, line.encode("utf-8", "backslashreplace"))
    with _suppressed():
        connection.sendall(bytes([code & 0xFF]))
    os._exit(0)


def _suppressed() -> "contextlib.suppress":
    import contextlib

    return contextlib.suppress(OSError, ValueError)


def _received(connection: "socket.socket") -> tuple[list[int], bytes]:
    """The client's descriptors (stdin, stdout, stderr, its directory) and environment."""
    import socket

    head = len(VERSION) + LENGTH_BYTES
    expected = len(STANDARD_STREAMS) + 1
    data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(4 * expected))
    descriptors: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            descriptors += [
                int.from_bytes(payload[i : i + 4], sys.byteorder) for i in range(0, usable, 4)
            ]
    while len(data) < head:
        more = connection.recv(65536)
        if not more:
            break
        data += more
    if len(descriptors) != expected or not data.startswith(VERSION) or len(data) < head:
        raise ConnectionError("not a krm-fn generate request (another krm-fn version?)")
    length = int.from_bytes(data[len(VERSION) : head], "big")
    environment = bytearray(data[head:])
    while len(environment) < length:
        more = connection.recv(min(1 << 20, length - len(environment)))
        if not more:
            raise ConnectionError("the client left before sending its environment")
        environment += more
    return descriptors, bytes(environment[:length])


def _take_environment(environment: bytes) -> None:
    """The client's environment, as a cold generate would have started with."""
    import tempfile

    os.environ.clear()
    for entry in environment.split(b"\0"):
        name, equals, value = entry.partition(b"=")
        if equals and name:
            os.environb[name] = value
    tempfile.tempdir = None  # found again from this TMPDIR


def _watch(connection: "socket.socket") -> None:
    """Kill this generation's process group when the client goes away before its answer."""
    import signal
    import threading

    def wait() -> None:
        try:
            left = connection.recv(1) == b""
        except OSError:
            left = True
        if left:
            os.killpg(0, signal.SIGKILL)

    threading.Thread(target=wait, name="krm-fn client watch", daemon=True).start()


def _generate() -> int:
    from krm_fn.argocd import main as generate

    return generate([], sys.stdout, sys.stderr)
