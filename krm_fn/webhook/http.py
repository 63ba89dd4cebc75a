"""A small HTTP/1.1 server on asyncio streams, bounded in every way a client can push.

The webhook needs one kind of request (POST of a JSON body with Content-Length, on kept-alive
connections from the API server), and must not let any client hold it: every read has a
deadline (the TLS handshake, the request line and headers, the body, the answer being read),
headers and bodies have a size limit, connections have a number limit, and large bodies are
read and answered a few at a time, so memory per worker stays bounded. On shutdown it stops
accepting, closes idle connections at once and gives in-flight requests a grace period.
"""

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

MAX_HEADERS = 64


@dataclass(frozen=True)
class Limits:
    """What one client may take of a server."""

    header_seconds: float = 10.0  # TLS handshake; request line and headers, once begun
    body_seconds: float = 10.0  # the body, once the headers are in; writing the answer
    idle_seconds: float = 30.0  # a kept-alive connection between requests
    header_bytes: int = 16 * 1024
    body_bytes: int = 4 * 1024 * 1024
    connections: int = 256
    large_body: int = 256 * 1024  # bodies over this are read and answered...
    large_at_once: int = 2  # ...this many at a time
    large_wait_seconds: float = 5.0  # how long the others wait for their turn (then 503)
    grace_seconds: float = 10.0  # in-flight requests at shutdown


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


@dataclass
class _Connection:
    writer: asyncio.StreamWriter
    busy: bool = False


@dataclass
class Server:
    """Serve `handler` on a listening socket until `shutdown`."""

    handler: Handler
    limits: Limits = field(default_factory=Limits)
    error_body: Callable[[int, str], Response] | None = None  # how refusals are written

    def __post_init__(self) -> None:
        self.connections: dict[int, _Connection] = {}
        self.large = asyncio.Semaphore(self.limits.large_at_once)
        self.stopping = False
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self, sock: socket.socket, context: ssl.SSLContext | None = None) -> None:
        """Begin accepting on the (already listening) socket."""
        self.server = await asyncio.start_server(
            self._serve,
            sock=sock,
            ssl=context,
            ssl_handshake_timeout=self.limits.header_seconds if context else None,
            limit=self.limits.header_bytes,
        )

    async def shutdown(self) -> None:
        """Stop accepting, close idle connections now, give in-flight ones the grace period."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections.values()):
            if not connection.busy:
                connection.writer.close()
        waited = 0.0
        while any(c.busy for c in self.connections.values()) and waited < self.limits.grace_seconds:
            await asyncio.sleep(0.05)
            waited += 0.05
        for connection in list(self.connections.values()):
            connection.writer.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=1.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(self.connections) >= self.limits.connections or self.stopping or task is None:
            writer.close()  # over the limit: refused at once, holding nothing
            return
        self.tasks.add(task)
        connection = self.connections[id(writer)] = _Connection(writer)
        try:
            await self._requests(reader, connection)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away or was too slow: nothing to answer
        finally:
            self.connections.pop(id(writer), None)
            self.tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _requests(self, reader: asyncio.StreamReader, connection: _Connection) -> None:
        limits = self.limits
        first = True
        while not self.stopping:
            wait = limits.header_seconds if first else limits.idle_seconds
            try:
                start = await asyncio.wait_for(reader.readexactly(1), wait)
            except asyncio.IncompleteReadError:
                return  # closed between requests
            connection.busy = True
            first = False
            try:
                request = await self._read(start, reader)
            except BadRequest as refused:
                await self._write(connection, self._refusal(refused.status, str(refused)), True)
                return
            keep = request.headers.get("connection", "").lower() != "close"
            if len(request.body) > limits.large_body:
                try:
                    response = await self.handler(request)
                finally:
                    self.large.release()  # taken by _read before reading the body
            else:
                response = await self.handler(request)
            await self._write(connection, response, not keep or self.stopping)
            connection.busy = False
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
        if not length_text.isdigit() or len(length_text) > 12:
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

    async def _write(self, connection: _Connection, response: Response, close: bool) -> None:
        reason = HTTPStatus(response.status).phrase
        head = (
            f"HTTP/1.1 {response.status} {reason}\r\n"
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        )
        connection.writer.write(head.encode("latin-1") + response.body)
        await asyncio.wait_for(connection.writer.drain(), self.limits.body_seconds)
