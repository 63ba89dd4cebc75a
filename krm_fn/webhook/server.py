"""`krm-fn webhook`: an HTTPS server around admission.answer, with health, metrics and reloads.

A parent process binds the TLS port, loads the configs (and refuses to start without valid
ones), forks the workers, and serves `/healthz`, `/readyz` and `/metrics` over plain HTTP on the
metrics port. Each worker serves HTTPS on a listening socket of its own on that port
(krm_fn/webhook/http.py: every read timed, sizes and connections bounded), and watches the
certificate files and the config directory: a new certificate is loaded into a new context,
which new handshakes use once it loaded (open connections keep theirs); a valid new set of
configs replaces the old one at once, an invalid one is logged and leaves the old one serving.
SIGTERM makes the workers stop accepting, close at once what holds no whole request and finish
what they are answering; a worker whose supervisor is gone stops too.
"""

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from krm_fn.webhook.admission import (
    Answer,
    ConfigDirError,
    ConfigSet,
    ReviewError,
    answer_body,
    load_config_dir,
    over_budget,
)
from krm_fn.webhook.answers import AnswerCache
from krm_fn.webhook.http import Limits, Request, Response, Server
from krm_fn.webhook.jsoncodec import dumps

POLL_SECONDS = 2.0
TIME_BUDGET_SECONDS = 5.0  # well under the webhook's timeoutSeconds (10 in the install example)
# The TLS port: the API server validates a pod only after the webhooks, so a body can be as large
# as its request limit (3 MiB) and the review around it; bodies over 256 KiB are read and
# answered two at a time per worker, so a worker holds at most a few of them in memory.
# Connections per worker: an address may hold a quarter of them, and a new one makes the oldest
# that is not being answered, of the address holding the most, give way.
LIMITS = Limits(
    body_bytes=3 * 1024 * 1024 + 256 * 1024,
    connections=512,
    connections_per_peer=128,
    large_at_once=2,
)
# Answers to bodies over ON_LOOP_BYTES are worked out in a thread, off the event loop, so that a
# long one never holds the others. Smaller ones are answered on the loop: their work is linear in
# their size and so bounded (at most about 11 ms, measured: 285 containers that a config with
# `appContainers: ["*"]` mounts into), and a thread would cost every ordinary pod 0.6 ms at the
# median and 3 ms at the 99th percentile at 500 reviews/s (measured: the GIL changes hands twice).
ON_LOOP_BYTES = 8 * 1024
ANSWER_THREADS = 2
# The health port is the supervisor's own, in a thread of its own: request traffic on the TLS port
# never reaches it, and a client holding connections here takes only its share (the kubelet's
# probes and Prometheus come from addresses of their own).
HEALTH_LIMITS = Limits(
    header_seconds=5,
    body_seconds=5,
    idle_seconds=5,
    body_bytes=0,
    connections=64,
    connections_per_peer=16,
    large_at_once=1,
    grace_seconds=1,
)
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
    answer_cache_mb: int = 32  # per worker; 0: every review is worked out (answers.py)


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
            log.error(
                "config reload failed, still serving generation %d: %s",
                self.current.generation,
                err,
            )
            return False
        self.error = None
        log.info("configs reloaded: generation %d", self.current.generation)
        return True


class WatchedCertificate:
    """The serving certificate: an SSL context, replaced by a new one when the files change.

    A new context is made from the files and used only once it loaded (a certificate and the key
    that matches it); until then the old one serves. A rotation that replaces the two files one
    after the other never leaves a context without a certificate.
    """

    def __init__(self, cert_file: str, key_file: str) -> None:
        self.cert_file, self.key_file = cert_file, key_file
        self.stamp = self._stamp()
        self.context = self._load()

    def _load(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def current(self) -> ssl.SSLContext:
        """The context new handshakes use."""
        return self.context

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
            self.context = self._load()
        except (ssl.SSLError, OSError) as err:
            log.warning("certificate not reloaded yet (%s); trying again", err)
            return False
        self.stamp = stamp
        log.info("certificate reloaded from %s", self.cert_file)
        return True


class App:
    """A worker: POST /mutate on the TLS port, and the reload tasks."""

    def __init__(
        self, configs: WatchedConfigs, certificate: WatchedCertificate, cache_mb: int = 0
    ) -> None:
        self.configs = configs
        self.certificate = certificate
        from krm_fn.webhook import metrics

        self.metrics = metrics
        self.cache = AnswerCache(cache_mb * 1024 * 1024) if cache_mb else None
        self.threads = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="answer")

    async def serve(self, sock: socket.socket, parent: int) -> None:
        """Serve until SIGTERM (or the supervisor is gone), then shut down within the grace."""
        dropped = self.metrics.connections_dropped
        server = Server(self.handle, LIMITS, _refusal, lambda reason: dropped.labels(reason).inc())
        await server.start(sock, self.certificate.current)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        watcher = loop.create_task(self._watch(stop, parent))
        await stop.wait()
        watcher.cancel()
        await server.shutdown()
        self.threads.shutdown(wait=False, cancel_futures=True)

    async def _watch(self, stop: asyncio.Event, parent: int) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if os.getppid() != parent:  # the supervisor died: no orphan keeps serving
                log.error("the supervisor (pid %d) is gone; stopping", parent)
                stop.set()
                return
            self.certificate.poll()
            self.configs.poll()

    async def handle(self, request: Request) -> Response:
        """Answer one request: an AdmissionReview on POST /mutate, a refusal otherwise."""
        started = time.perf_counter()
        if request.path != "/mutate":
            return _json(404, {"message": "not found: POST AdmissionReviews to /mutate"})
        if request.method != "POST":
            return _json(405, {"message": "POST an AdmissionReview"})
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/json":
            return _json(415, {"message": "Content-Type must be application/json"})
        try:
            result = await self._answer(request.body, started)
        except ReviewError as err:  # not JSON, not an AdmissionReview
            self.metrics.requests.labels("error", "bad request").inc()
            return _json(400, {"message": f"bad AdmissionReview: {err}"})
        self.metrics.record(result, time.perf_counter() - started)
        if result.outcome == "denied":
            log.info("denied: %s", result.review["response"].get("status", {}).get("message"))
        return _json(200, result.review)

    async def _answer(self, body: bytes, started: float) -> Answer:
        configs = self.configs.current
        deadline = time.monotonic() + TIME_BUDGET_SECONDS - (time.perf_counter() - started)
        if len(body) <= ON_LOOP_BYTES:
            return answer_body(body, configs, deadline, self.cache)
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.threads, answer_body, body, configs, deadline, self.cache)
        try:  # the deadline stops the work inside; this is the backstop
            return await asyncio.wait_for(work, TIME_BUDGET_SECONDS + 1)
        except TimeoutError:
            return over_budget(body)


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(status, dumps(payload))


def _refusal(status: int, message: str) -> Response:
    """What the HTTP layer says when it refuses a request (size, time, shape)."""
    return _json(status, {"message": message})


def listener(address: socket.socket) -> socket.socket:
    """A listening socket on the port the supervisor holds, one of each worker's (SO_REUSEPORT).

    The kernel spreads new connections over the workers' sockets by their addresses, so a
    burst of connections cannot all land on one worker (with one shared socket, the worker that
    wakes first takes them all).
    """
    sock = socket.socket(address.family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address.getsockname()[:2])
    sock.listen(1024)
    return sock


def run_worker(
    address: socket.socket, options: Options, configs: WatchedConfigs, parent: int
) -> None:
    """One worker: the HTTP server on a socket of its own, with its own certificate watcher."""
    sock = listener(address)
    address.close()  # the supervisor's: it holds the port, and takes no connections
    certificate = WatchedCertificate(options.tls_cert_file, options.tls_key_file)
    app = App(configs, certificate, options.answer_cache_mb)
    # What is loaded now lives as long as the worker: out of the collector's way, so that a full
    # collection walks only what requests left.
    gc.freeze()

    try:
        import uvloop  # faster when installed (the image has it); asyncio's own loop otherwise

        uvloop.run(app.serve(sock, parent))
    except ImportError:
        asyncio.run(app.serve(sock, parent))


class Supervisor:
    """The parent: workers, health and metrics, signals."""

    def __init__(self, options: Options, sock: socket.socket, configs: WatchedConfigs) -> None:
        self.options, self.sock, self.configs = options, sock, configs
        self.workers: dict[int, int] = {}  # pid -> slot
        self.stopping = False

    def start_worker(self, slot: int) -> None:
        """Fork a worker serving the port."""
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                run_worker(self.sock, self.options, self.configs, parent)
            finally:
                os._exit(0)
        self.workers[pid] = slot

    def ready(self) -> tuple[bool, str]:
        """Whether every worker is up (and not stopping), and what /readyz says."""
        alive = sum(1 for pid in self.workers if _alive(pid))
        lines = [f"workers: {alive}/{self.options.workers}"]
        lines.append(
            f"configs: generation {self.configs.current.generation}, "
            f"{len(self.configs.current.instances)} pattern(s)"
        )
        if self.configs.error:
            lines.append(
                f"last reload failed (still serving the generation above): {self.configs.error}"
            )
        return alive == self.options.workers and not self.stopping, "\n".join(lines) + "\n"

    async def health(self, request: Request) -> Response:
        """GET /healthz, /readyz and /metrics on the metrics port."""
        if request.method != "GET":
            return Response(405, b"GET only\n", "text/plain")
        if request.path == "/healthz":
            return Response(200, b"ok\n", "text/plain")
        if request.path == "/readyz":
            ready, text = self.ready()
            return Response(200 if ready else 503, text.encode(), "text/plain")
        if request.path == "/metrics":
            from krm_fn.webhook import metrics

            body, content_type = metrics.exposition()
            return Response(200, body, content_type)
        return Response(404, b"not found\n", "text/plain")

    def run(self) -> int:
        """Start the workers and the health server; restart workers until SIGTERM."""
        from krm_fn.webhook import metrics

        health = _Background(
            self.health, HEALTH_LIMITS, self.options.host, self.options.metrics_port
        )
        for slot in range(self.options.workers):
            self.start_worker(slot)
        health.start()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info(
            "serving on %s:%d (%d workers), health and metrics on :%d",
            self.options.host,
            self.options.port,
            self.options.workers,
            self.options.metrics_port,
        )
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05 if self.stopping else POLL_SECONDS / 4)
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
        health.stop()
        return 0

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


class _Background:
    """An HTTP server on its own event loop in a thread: the supervisor's health port."""

    def __init__(self, handler: Any, limits: Limits, host: str, port: int) -> None:
        self.sock = socket.create_server((host, port), reuse_port=False, backlog=128)
        self.loop = asyncio.new_event_loop()
        self.server = Server(handler, limits)
        self.thread = threading.Thread(target=self._run, daemon=True, name="health")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start(self.sock))
        self.loop.run_forever()

    def start(self) -> None:
        """Serve from now on."""
        self.thread.start()

    def stop(self) -> None:
        """Close every connection and the socket; return when the thread is done."""

        async def shutdown() -> None:
            await self.server.shutdown()
            self.loop.stop()

        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
            self.thread.join(5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


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
    # Bound, not listening: it holds the port (and a bind that fails says so now), and each
    # worker listens on a socket of its own on the same port (`listener`).
    sock = socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((options.host, options.port))
        listener(sock).close()  # the workers' bind: it works here, or the webhook does not start
    except OSError as err:
        print(
            f"krm-fn webhook: cannot listen on {options.host}:{options.port}: {err}",
            file=sys.stderr,
        )
        return 1
    return Supervisor(options, sock, configs).run()
