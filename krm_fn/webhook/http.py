"""A small HTTP/1.1 server on asyncio streams, bounded in every way a client can push.

The webhook needs one kind of request (POST of a JSON body with Content-Length, on kept-alive
connections from the API server), and must not let any client hold it:

- every read has a deadline (the TLS handshake, the request line and headers, the body, the
  answer being read), headers and bodies have a size limit, and large bodies are read and
  answered a few at a time, so memory per worker stays bounded;
- connections are counted from the moment they are accepted (the server accepts them itself and
  does the TLS handshake afterwards, so a handshake never finished counts too), each address may
  hold only a share of them, and when a limit is reached the oldest connection that is not being
  answered (idle, mid-handshake or mid-request) of the address holding the most gives way to the
  new one: one client cannot lock the others out, it can only take its own share;
- on shutdown it stops accepting, closes at once every connection that does not hold a whole
  request, and gives the requests being answered a grace period.
"""

import asyncio
import contextlib
import logging
import re
import resource
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

MAX_HEADERS = 64
CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²".isdigit() is True
FILE_DESCRIPTORS_KEPT = 64  # of the process's limit, for what is not a connection
log = logging.getLogger("krm-fn.webhook")


@dataclass(frozen=True)
class Limits:
    """What one client may take of a server."""

    header_seconds: float = 10.0  # TLS handshake; request line and headers, once begun
    body_seconds: float = 10.0  # the body, once the headers are in; writing the answer
    idle_seconds: float = 30.0  # a kept-alive connection between requests
    header_bytes: int = 16 * 1024
    body_bytes: int = 4 * 1024 * 1024
    connections: int = 256  # open at once, counted from accept (handshakes included)
    connections_per_peer: int = 64  # of those, from one address
    large_body: int = 256 * 1024  # bodies over this are read and answered...
    large_at_once: int = 2  # ...this many at a time
    large_wait_seconds: float = 5.0  # how long the others wait for their turn (then 503)
    grace_seconds: float = 10.0  # requests being answered at shutdown


@dataclass
class Request:
    """One request: method, path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Response:
    """One answer."""

    status: int
    body: bytes
    content_type: str = "application/json"


Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    """A request this server answers with `status` and then closes the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# What a connection is doing: only one that holds a whole request is never closed for another.
OPENING, IDLE, READING, ANSWERING = "opening", "idle", "reading", "answering"


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    peer: str
    task: "asyncio.Task[None] | None" = None
    started: bool = False  # its task runs (and closes the connection when it ends)
    state: str = OPENING
    since: float = field(default_factory=time.monotonic)  # when it last became idle or began


@dataclass
class Server:
    """Serve `handler` on a listening socket until `shutdown`."""

    handler: Handler
    limits: Limits = field(default_factory=Limits)
    error_body: Callable[[int, str], Response] | None = None  # how refusals are written
    dropped: Callable[[str], None] = lambda reason: None  # a connection closed for another
    # ("evicted") or at once ("refused")

    def __post_init__(self) -> None:
        self.connections: set[_Connection] = set()
        self.by_peer: dict[str, set[_Connection]] = {}
        self.large = asyncio.Semaphore(self.limits.large_at_once)
        self.stopping = False
        self.accepting: asyncio.Task[None] | None = None
        self.tls: Callable[[], ssl.SSLContext] | None = None
        self.capacity = _capacity(self.limits.connections)

    async def start(
        self, sock: socket.socket, tls: Callable[[], ssl.SSLContext] | None = None
    ) -> None:
        """Begin accepting on the (already listening) socket; `tls` gives the context to use."""
        sock.setblocking(False)
        self.tls = tls
        self.accepting = asyncio.get_running_loop().create_task(self._accept(sock))

    async def shutdown(self) -> None:
        """Stop accepting; close what holds no whole request now, give the rest the grace."""
        self.stopping = True
        if self.accepting is not None:
            self.accepting.cancel()
        for connection in list(self.connections):
            if connection.state != ANSWERING:
                _cancel(connection)
        deadline = time.monotonic() + self.limits.grace_seconds
        while any(c.state == ANSWERING for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        tasks = [c.task for c in self.connections if c.task is not None]
        for connection in list(self.connections):
            _cancel(connection)
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    async def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopping:
            try:
                sock, address = await loop.sock_accept(listening)
            except OSError as err:  # out of file descriptors, most likely: room comes back
                log.warning("accepting a connection failed: %s", err)
                await asyncio.sleep(0.1)
                continue
            peer = str(address[0]) if isinstance(address, tuple) else ""
            if not self._make_room(peer):
                self.dropped("refused")
                sock.close()  # every connection is answering: refused at once, holding nothing
                continue
            connection = _Connection(sock, peer)
            self.connections.add(connection)
            self.by_peer.setdefault(peer, set()).add(connection)
            connection.task = loop.create_task(self._serve(sock, connection))

    def _make_room(self, peer: str) -> bool:
        """Whether a new connection from peer fits, once an older one has given way if needed."""
        own = self.by_peer.get(peer, set())
        if len(own) >= self.limits.connections_per_peer:
            return self._evict(own)
        if len(self.connections) >= self.capacity:
            largest = max(self.by_peer.values(), key=len)
            return self._evict(largest) or self._evict(self.connections)
        return True

    def _evict(self, among: set[_Connection]) -> bool:
        waiting = [c for c in among if c.state != ANSWERING]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.since)
        self._forget(oldest)
        _cancel(oldest)
        self.dropped("evicted")
        return True

    def _forget(self, connection: _Connection) -> None:
        self.connections.discard(connection)
        own = self.by_peer.get(connection.peer)
        if own is not None:
            own.discard(connection)
            if not own:
                del self.by_peer[connection.peer]

    async def _serve(self, sock: socket.socket, connection: _Connection) -> None:
        connection.started = True
        loop = asyncio.get_running_loop()
        limits = self.limits
        reader = asyncio.StreamReader(limit=limits.header_bytes)
        protocol = asyncio.StreamReaderProtocol(reader)
        writer = None
        try:
            opened = loop.connect_accepted_socket(
                lambda: protocol,
                sock,
                ssl=self.tls() if self.tls else None,
                ssl_handshake_timeout=limits.header_seconds if self.tls else None,
            )
            transport, _ = await asyncio.wait_for(opened, limits.header_seconds)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            await self._requests(reader, writer, connection)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass  # the client went away or was too slow: nothing to answer
        except asyncio.CancelledError:
            pass  # closed for another connection, or at shutdown
        except Exception as err:  # a bug here: one line, the connection closed, the server on
            log.error("connection from %s closed: %s: %s", connection.peer, type(err).__name__, err)
        finally:
            self._forget(connection)
            if writer is not None:
                writer.close()
            else:
                sock.close()

    async def _requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        limits = self.limits
        first = True
        while not self.stopping:
            connection.state, connection.since = IDLE, time.monotonic()
            wait = limits.header_seconds if first else limits.idle_seconds
            try:
                start = await asyncio.wait_for(reader.readexactly(1), wait)
            except asyncio.IncompleteReadError:
                return  # closed between requests
            connection.state, connection.since = READING, time.monotonic()
            first = False
            try:
                request = await self._read(start, reader)
            except BadRequest as refused:
                connection.state = ANSWERING
                await self._write(writer, self._refusal(refused.status, str(refused)), True)
                return
            connection.state = ANSWERING
            keep = request.headers.get("connection", "").lower() != "close"
            if len(request.body) > limits.large_body:
                try:
                    response = await self.handler(request)
                finally:
                    self.large.release()  # taken by _read before reading the body
            else:
                response = await self.handler(request)
            await self._write(writer, response, not keep or self.stopping)
            if not keep:
                return

    async def _read(self, start: bytes, reader: asyncio.StreamReader) -> Request:
        """The request line, the headers and the body, each within its time and size."""
        limits = self.limits
        try:
            head = start + await asyncio.wait_for(
                reader.readuntil(b"\r\n\r\n"), limits.header_seconds
            )
        except asyncio.LimitOverrunError:  # no end of the headers within the limit
            raise BadRequest(431, f"headers larger than {limits.header_bytes} bytes") from None
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise BadRequest(400, "not an HTTP/1.x request line")
        if len(lines) - 1 > MAX_HEADERS:
            raise BadRequest(431, f"more than {MAX_HEADERS} headers")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise BadRequest(400, "a header line is not NAME: VALUE")
            headers[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
        method = parts[0].decode("latin-1")
        path = parts[1].decode("latin-1").partition("?")[0]  # the API server adds ?timeout=10s
        if parts[2] != b"HTTP/1.1":
            headers.setdefault("connection", "close")
        if "transfer-encoding" in headers:
            raise BadRequest(411, "send the body with Content-Length, not Transfer-Encoding")
        length_text = headers.get("content-length", "0")
        if not CONTENT_LENGTH.fullmatch(length_text):
            raise BadRequest(400, "Content-Length is not a number")
        length = int(length_text)
        if length > limits.body_bytes:
            raise BadRequest(413, f"body larger than {limits.body_bytes} bytes")
        request = Request(method, path, headers)
        if length > limits.large_body:
            try:
                await asyncio.wait_for(self.large.acquire(), limits.large_wait_seconds)
            except TimeoutError:
                raise BadRequest(503, "too many large requests at once; try again") from None
        try:
            request.body = await asyncio.wait_for(reader.readexactly(length), limits.body_seconds)
        except BaseException:
            if length > limits.large_body:
                self.large.release()
            raise
        return request

    def _refusal(self, status: int, message: str) -> Response:
        if self.error_body is not None:
            return self.error_body(status, message)
        return Response(status, message.encode() + b"\n", "text/plain")

    async def _write(self, writer: asyncio.StreamWriter, response: Response, close: bool) -> None:
        reason = HTTPStatus(response.status).phrase
        head = (
            f"HTTP/1.1 {response.status} {reason}\r\n"
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        )
        writer.write(head.encode("latin-1") + response.body)
        await asyncio.wait_for(writer.drain(), self.limits.body_seconds)


def _cancel(connection: _Connection) -> None:
    """Close a connection: its task ends (a task that never ran cannot close its socket)."""
    if connection.task is not None:
        connection.task.cancel()
    if not connection.started:
        connection.sock.close()


def _capacity(connections: int) -> int:
    """The connection limit, within what the process may open (a few kept for the rest)."""
    with contextlib.suppress(ValueError, OSError):
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            return max(1, min(connections, soft - FILE_DESCRIPTORS_KEPT))
    return connections
