"""The Argo CD plugin's generate command: `python3 -I -m krm_fn.argocd_generate`.

When the sidecar runs krm-fn's warm process (`krm-fn argocd-sidecar`, argocd_sidecar.py), this
hands the generation to it: the process has Python and krm-fn's core loaded, and forks a child
per generation that runs argocd.main in this command's directory, with this command's
environment, standard input, output and error (passed as file descriptors). What is left here
is a Python without its site packages' imports (about 10 ms): it imports only the socket module
of the interpreter. Without the warm process (no socket, or nobody listening), it is the same
`krm-fn argocd-generate`, cold: the same output, only slower.

`krm-fn argocd-generate` runs this too; the plugin.yaml names the module because the console
script's own imports cost 10 ms more.
"""

import os
import sys

VERSION = b"krm-fn-generate/1\n"  # the request's first line: a client and a server of one krm-fn
LENGTH_BYTES = 8  # the environment's length, after the first line
STANDARD_STREAMS = (0, 1, 2)


def socket_path(environ: "os._Environ[str] | dict[str, str]") -> str:
    """Where the warm process listens: a directory of this user's in the sidecar's TMPDIR."""
    base = environ.get("TMPDIR") or "/tmp"
    return os.path.join(base, f"krm-fn-argocd-{os.getuid()}", "generate.sock")


def request(environment: bytes) -> bytes:
    """What the client sends: the version line, the environment's length, the environment."""
    return VERSION + len(environment).to_bytes(LENGTH_BYTES, "big") + environment


def environment_bytes() -> bytes:
    """The environment of this process, as `NAME=value` entries, each ending with a NUL."""
    return b"".join(name + b"=" + value + b"\0" for name, value in os.environb.items())


def warm(path: str) -> int | None:
    """The generation done by the warm process at path: its exit code; None if there is none."""
    import _socket

    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(path)
        # a process of this user, not one that took the path (the directory is private too)
        credentials = connection.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
        if int.from_bytes(credentials[4:8], sys.byteorder) != os.getuid():
            return None
        directory = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        connection.close()
        return None
    try:
        descriptors = b"".join(
            fd.to_bytes(4, sys.byteorder) for fd in (*STANDARD_STREAMS, directory)
        )
        data = request(environment_bytes())
        try:
            rights = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, descriptors)]
            sent = connection.sendmsg([data], rights)
            if sent < len(data):  # never an empty send: it fails once the child has answered
                connection.sendall(data[sent:])
        except OSError:  # the warm process went away before it had the whole request
            return None
        finally:
            os.close(directory)
        try:
            code = connection.recv(1)
        except OSError:
            code = b""
    finally:
        connection.close()
    if not code:  # it took the generation and ended without an answer: it may have printed part
        sys.stderr.write(
            "krm-fn: the sidecar's warm krm-fn process ended during the generation "
            "(see the sidecar's log); Argo CD will generate again\n"
        )
        return 1
    return code[0]


def main(args: list[str] | None = None) -> int:
    """Generate through the warm process if the sidecar runs one, else in this process."""
    args = sys.argv[1:] if args is None else args
    if not args:
        code = warm(socket_path(os.environ))
        if code is not None:
            return code
    from krm_fn.argocd import main as cold

    return cold(args, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
