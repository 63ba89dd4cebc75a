"""`krm-fn webhook`: an HTTPS server around admission.answer, with health, metrics and reloads.

A parent process binds the TLS port, loads the configs (and refuses to start without valid
ones), forks the workers, and serves `/healthz`, `/readyz` and `/metrics` over plain HTTP on the
metrics port. Each worker runs uvicorn on the shared socket with an SSL context of its own, and
watches the certificate files and the config directory: a new certificate is loaded into the
live context (new handshakes use it, open connections keep theirs); a valid new set of configs
replaces the old one at once, an invalid one is logged and leaves the old one serving. SIGTERM
makes the workers stop accepting and finish what they are answering.
"""

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from krm_fn.webhook.admission import Answer, ConfigDirError, ConfigSet, answer, load_config_dir

MAX_BODY = 7 * 1024 * 1024  # as controller-runtime and Kruise; the API server sends up to 3 MiB
POLL_SECONDS = 2.0
TIME_BUDGET_SECONDS = 5.0  # well under the webhook's timeoutSeconds (10 in the install example)
THREADED_BODY = 256 * 1024  # bodies over this are answered from a thread, within the budget
log = logging.getLogger("krm-fn.webhook")


@dataclass
class Options:
    """The command line of `krm-fn webhook`."""

    config_dir: str
    tls_cert_file: str
    tls_key_file: str
    port: int = 8443
    metrics_port: int = 8080
    workers: int = 2
    host: str = "0.0.0.0"


class WatchedConfigs:
    """The config directory: the configs in force, and the last reload's outcome."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.fingerprint = self._fingerprint()
        self.current: ConfigSet = load_config_dir(directory)
        self.error: str | None = None
        self.failures = 0

    def _fingerprint(self) -> tuple[Any, ...]:
        """What changes when a file does: names, targets of symlinks (ConfigMap `..data`), times."""
        try:
            entries = []
            for name in sorted(os.listdir(self.directory)):
                path = os.path.join(self.directory, name)
                stat = os.stat(path)
                link = os.readlink(path) if os.path.islink(path) else ""
                entries.append((name, link, stat.st_mtime_ns, stat.st_size, stat.st_ino))
            return tuple(entries)
        except OSError as err:
            return (("error", str(err)),)

    def poll(self) -> bool:
        """Reload if the directory changed; True when new configs are in force."""
        fingerprint = self._fingerprint()
        if fingerprint == self.fingerprint:
            return False
        self.fingerprint = fingerprint
        try:
            self.current = load_config_dir(self.directory, self.current.generation + 1)
        except ConfigDirError as err:
            self.error = str(err)
            self.failures += 1
            log.error("config reload failed, still serving generation %d: %s",
                      self.current.generation, err)  # fmt: skip
            return False
        self.error = None
        log.info("configs reloaded: generation %d", self.current.generation)
        return True


class WatchedCertificate:
    """The serving certificate: one SSL context, reloaded in place when the files change."""

    def __init__(self, cert_file: str, key_file: str) -> None:
        self.cert_file, self.key_file = cert_file, key_file
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.stamp = self._stamp()
        self.context.load_cert_chain(cert_file, key_file)

    def _stamp(self) -> tuple[Any, ...]:
        try:
            return tuple(
                (s.st_mtime_ns, s.st_size, s.st_ino)
                for s in (os.stat(self.cert_file), os.stat(self.key_file))
            )
        except OSError:
            return ()

    def poll(self) -> bool:
        """Load the files again if they changed (a half-written pair is tried again later)."""
        stamp = self._stamp()
        if stamp == self.stamp or not stamp:
            return False
        try:
            self.context.load_cert_chain(self.cert_file, self.key_file)
        except (ssl.SSLError, OSError) as err:
            log.warning("certificate not reloaded yet (%s); trying again", err)
            return False
        self.stamp = stamp
        log.info("certificate reloaded from %s", self.cert_file)
        return True


class App:
    """The ASGI application of a worker: POST /mutate, and the reload tasks."""

    def __init__(self, configs: WatchedConfigs, certificate: WatchedCertificate) -> None:
        self.configs = configs
        self.certificate = certificate
        from krm_fn.webhook import metrics

        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one ASGI connection scope (HTTP or lifespan)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                task = asyncio.get_running_loop().create_task(self._watch())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            self.certificate.poll()
            self.configs.poll()

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        if scope["path"] != "/mutate":
            await _respond(send, 404, {"message": "not found: POST AdmissionReviews to /mutate"})
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"message": "POST an AdmissionReview"})
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
        if content_type != b"application/json":
            await _respond(send, 415, {"message": "Content-Type must be application/json"})
            return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_BODY:
            await _respond(send, 413, {"message": f"body larger than {MAX_BODY} bytes"})
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await _respond(send, 413, {"message": f"body larger than {MAX_BODY} bytes"})
                return
        try:
            review = json.loads(body)
            result = await self._answer(review, len(body))
        except (ValueError, TypeError) as err:  # not JSON, not an AdmissionReview
            self.metrics.requests.labels("error", "bad request").inc()
            await _respond(send, 400, {"message": f"bad AdmissionReview: {err}"})
            return
        self.metrics.record(result, time.perf_counter() - started)
        if result.outcome == "denied":
            log.info("denied: %s", result.review["response"].get("status", {}).get("message"))
        await _respond(send, 200, result.review)

    async def _answer(self, review: Any, size: int) -> Answer:
        configs = self.configs.current
        if size <= THREADED_BODY:
            return answer(review, configs)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(None, answer, review, configs), TIME_BUDGET_SECONDS
            )
        except TimeoutError:
            uid = review["request"]["uid"]
            message = f"krm-fn: no answer within {TIME_BUDGET_SECONDS:g} s"
            response = {"uid": uid, "allowed": False, "status": {"code": 500, "message": message}}
            return Answer({**_envelope(review), "response": response}, "error", "time budget")


def _envelope(review: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": review["apiVersion"], "kind": "AdmissionReview"}


async def _respond(send: Any, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def run_worker(sock: socket.socket, options: Options, configs: WatchedConfigs) -> None:
    """One worker: uvicorn on the shared socket, with its own certificate watcher."""
    import uvicorn

    certificate = WatchedCertificate(options.tls_cert_file, options.tls_key_file)
    config = uvicorn.Config(
        App(configs, certificate),
        ssl_certfile=options.tls_cert_file,
        ssl_keyfile=options.tls_key_file,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=25,
        timeout_keep_alive=30,
        server_header=False,
    )
    config.load()
    config.ssl = certificate.context  # the watched context, not one uvicorn would never reload
    # What is loaded now lives as long as the worker: out of the collector's way, so that a full
    # collection walks only what requests left. (A higher young-generation threshold was tried:
    # the cycles a diff library and asyncio left then pile up into 70 ms collections.)
    gc.freeze()
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """The parent: workers, health and metrics, signals."""

    def __init__(self, options: Options, sock: socket.socket, configs: WatchedConfigs) -> None:
        self.options, self.sock, self.configs = options, sock, configs
        self.workers: dict[int, int] = {}  # pid -> slot
        self.stopping = False

    def start_worker(self, slot: int) -> None:
        """Fork a worker serving the shared socket."""
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                run_worker(self.sock, self.options, self.configs)
            finally:
                os._exit(0)
        self.workers[pid] = slot

    def ready(self) -> tuple[bool, str]:
        """Whether every worker is up (and not stopping), and what /readyz says."""
        alive = sum(1 for pid in self.workers if _alive(pid))
        lines = [f"workers: {alive}/{self.options.workers}"]
        lines.append(f"configs: generation {self.configs.current.generation}, "
                     f"{len(self.configs.current.instances)} pattern(s)")  # fmt: skip
        if self.configs.error:
            lines.append(
                f"last reload failed (still serving the generation above): {self.configs.error}"
            )
        return alive == self.options.workers and not self.stopping, "\n".join(lines) + "\n"

    def run(self) -> int:
        """Start the workers and the health server; restart workers until SIGTERM."""
        from krm_fn.webhook import metrics

        for slot in range(self.options.workers):
            self.start_worker(slot)
        health = ThreadingHTTPServer(
            (self.options.host, self.options.metrics_port), _health_handler(self)
        )
        threading.Thread(target=health.serve_forever, daemon=True).start()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("serving on %s:%d (%d workers), health and metrics on :%d", self.options.host,
                 self.options.port, self.options.workers, self.options.metrics_port)  # fmt: skip
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.2 if self.stopping else POLL_SECONDS / 4)
                failures = self.configs.failures
                if not self.stopping and self.configs.poll():
                    metrics.config_generation.set(self.configs.current.generation)
                if self.configs.failures > failures:
                    metrics.config_reload_failures.inc()
                continue
            slot = self.workers.pop(pid)
            metrics.worker_gone(pid)
            if not self.stopping:
                log.error("worker %d exited (%s); starting another", pid, status)
                self.start_worker(slot)
        health.shutdown()
        return 0

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _health_handler(supervisor: Supervisor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._send(200, b"ok\n", "text/plain")
            elif self.path == "/readyz":
                ready, text = supervisor.ready()
                self._send(200 if ready else 503, text.encode(), "text/plain")
            elif self.path == "/metrics":
                from krm_fn.webhook import metrics

                body, content_type = metrics.exposition()
                self._send(200, body, content_type)
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def serve(options: Options) -> int:
    """Run the webhook until SIGTERM; 1 when it cannot start."""
    line = "%(asctime)s %(levelname)s krm-fn webhook: %(message)s"
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=line)
    metrics_dir = tempfile.mkdtemp(prefix="krm-fn-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before prometheus_client is imported
    try:
        configs = WatchedConfigs(options.config_dir)
        WatchedCertificate(options.tls_cert_file, options.tls_key_file)  # fail now, not in workers
    except ConfigDirError as err:
        print(f"krm-fn webhook: {err}", file=sys.stderr)
        return 1
    except (ssl.SSLError, OSError) as err:
        print(f"krm-fn webhook: cannot load the TLS certificate and key: {err}", file=sys.stderr)
        return 1
    from krm_fn.webhook import metrics

    metrics.config_generation.set(configs.current.generation)
    sock = socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as err:
        print(
            f"krm-fn webhook: cannot listen on {options.host}:{options.port}: {err}",
            file=sys.stderr,
        )
        return 1
    sock.listen(1024)
    sock.set_inheritable(True)
    return Supervisor(options, sock, configs).run()
