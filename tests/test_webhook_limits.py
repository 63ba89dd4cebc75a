"""What one pod or one client can take of the webhook, and what a rotation or a shutdown does.

- the work per pod is linear (names indexed once), checked against the deadline in its loops,
  done off the event loop, and a pod with an absurd number of containers is refused saying so;
- connections are counted from accept (a TLS handshake never finished counts), each address has
  a share, and a new connection makes the oldest waiting one of the busiest address give way:
  one client holding hundreds of idle or half-open connections locks no one else out, on the
  TLS port or the metrics port (the probes);
- a certificate replaced before its key keeps the old pair serving until both match;
- a ConfigMap-form config's values stay out of /readyz and the log; a Content-Length of other
  Unicode digits is a 400, not a traceback.

Clients of their own come from other loopback addresses (127.0.0.2, 127.0.0.3): the server
tells them apart by address, as it tells a pod from the API server.
"""

import asyncio
import contextlib
import json
import re
import resource
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_webhook_server import configmap_dir, shop_pod, sidecar_config
from webhooks import review, webhook_server, write_certs

from krm_fn.engine.deadline import Deadline
from krm_fn.kube.quantities import MAX_QUANTITY, parse_quantity
from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import MAX_CONTAINERS, answer, load_config_dir

ATTACKER, OTHER_ATTACKER = "127.0.0.2", "127.0.0.3"


@pytest.fixture(autouse=True)
def enough_file_descriptors() -> None:
    """This process opens a thousand sockets or more, as an attacker would."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))


def every_container_config(tmp_path: Path) -> Any:
    """The log shipper, mounting its volume into every app container (`appContainers: ['*']`)."""
    directory = tmp_path / "configs"
    directory.mkdir(exist_ok=True)
    config = yamlio.load(sidecar_config())
    config["spec"]["appContainers"] = ["*"]
    (directory / "log-shipper.yaml").write_text(yamlio.dump(config))
    return load_config_dir(str(directory))


def many_containers(count: int) -> dict[str, Any]:
    """The shop's pod with `count` app containers, and a krm-fn record (as any pod may carry)."""
    pod = shop_pod()
    app = pod["spec"]["containers"][0]
    pod["spec"]["containers"] = [{**app, "name": f"app-{i}", "ports": []} for i in range(count)]
    pod["metadata"].setdefault("annotations", {})["krm-fn.dev/injected"] = "{}"
    return pod


def lines_run(count: int, configs: Any) -> int:
    """The lines of Python run (each turn of a loop counts) answering a pod of `count`
    containers: a measure of the work that does not depend on the machine's speed."""
    lines = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += event == "line"
        return trace

    body = review(many_containers(count))
    sys.settrace(trace)
    try:
        result = answer(body, configs)
    finally:
        sys.settrace(None)
    assert result.outcome == "injected", result.review
    return lines


def test_the_work_per_pod_grows_linearly_with_its_containers(tmp_path: Path) -> None:
    configs = every_container_config(tmp_path)
    small, large = lines_run(100, configs), lines_run(MAX_CONTAINERS, configs)
    # ten times the containers: ten times the work, not a hundred (a scan per recorded item)
    assert large < 11 * small, (small, large)


class CountingName(str):
    """A container name that counts how often it is hashed or compared."""

    count = 0

    def __hash__(self) -> int:
        CountingName.count += 1
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        CountingName.count += 1
        return str.__eq__(self, other)


def order_operations(count: int) -> int:
    """Name hashes and comparisons keeping the order of a pod's `count` containers (the sets
    this builds are C: only the names can tell how often they were built)."""
    from krm_fn.engine.order import keep_order

    names = [CountingName(f"app-{i}") for i in range(count)]
    old = {"kind": "Pod", "spec": {"containers": [{"name": n} for n in names]}}
    new = {"kind": "Pod", "spec": {"containers": [{"name": n} for n in reversed(names)]}}
    CountingName.count = 0
    keep_order(new, old)
    return CountingName.count


def test_keeping_the_order_grows_linearly_with_the_containers() -> None:
    small, large = order_operations(200), order_operations(800)
    assert large < 5 * small, (small, large)


def test_the_deadline_is_checked_for_every_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = []
    monkeypatch.setattr(Deadline, "check", lambda self: checks.append(1))
    answer(review(many_containers(500)), every_container_config(tmp_path), time.monotonic() + 60)
    assert len(checks) >= 2 * 500  # the mounts added, the items sealed, the order kept...


def test_a_pod_with_an_absurd_number_of_containers_is_refused_saying_so(tmp_path: Path) -> None:
    configs = every_container_config(tmp_path)
    pod = many_containers(MAX_CONTAINERS - 1)
    pod["spec"]["initContainers"] = [{"name": "setup", "image": "busybox:1.36.1"}]
    assert answer(review(pod), configs).outcome == "injected"  # at the limit: answered
    pod["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox:1.36.1"}]
    refused = answer(review(pod), configs)
    assert refused.outcome == "denied" and not refused.review["response"]["allowed"]
    message = refused.review["response"]["status"]["message"]
    assert (
        f"{MAX_CONTAINERS + 1:,} containers" in message and f"at most {MAX_CONTAINERS:,}" in message
    )


def test_an_answer_that_can_take_long_is_worked_out_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every body whose work could hold the loop for more than a few ms (docs/webhook.md)."""
    from krm_fn.webhook import server
    from krm_fn.webhook.http import Request

    threads: list[str] = []
    real = server.answer_body

    def recording(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(server, "answer_body", recording)
    directory = configmap_dir(tmp_path, {"log-shipper.yaml": sidecar_config()}, 1)
    app = server.App(server.WatchedConfigs(str(directory)), None)  # type: ignore[arg-type]
    pod = shop_pod()  # 100 containers with env: 20 KiB, far below the 256 KiB of "large"
    app_container = pod["spec"]["containers"][0]
    pod["spec"]["containers"] = [
        {
            **app_container,
            "name": f"app-{i}",
            "env": [{"name": "X", "value": "y" * 100}],
            "ports": [],
        }
        for i in range(100)
    ]
    for body in (json.dumps(review(shop_pod())).encode(), json.dumps(review(pod)).encode()):
        request = Request("POST", "/mutate", {"content-type": "application/json"}, body)
        response = asyncio.run(app.handle(request))
        assert response.status == 200 and b'"allowed":true' in response.body
    small, large = threads
    assert small == threading.main_thread().name  # a small pod: on the loop, no handoff
    assert large != threading.main_thread().name and large.startswith("answer")
    app.threads.shutdown()


def test_a_quantity_is_capped_and_rounded_as_the_api_server_stores_it() -> None:
    assert parse_quantity("1e10000000") == MAX_QUANTITY  # no 10**10000000 computed first
    assert parse_quantity("-1e10000000") == -MAX_QUANTITY
    assert parse_quantity("8Ei") == MAX_QUANTITY  # 2**63: one more than an int64
    assert parse_quantity("1e-10000000") == parse_quantity("1n")  # rounded up to the step
    assert parse_quantity("0e99999999") == 0
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity("1" * 5000)  # longer than any quantity: refused before it is read


# the server process --------------------------------------------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    directory = configmap_dir(tmp_path, {"log-shipper.yaml": sidecar_config()}, 1)
    with webhook_server(directory, write_certs(tmp_path / "tls")) as running:
        yield running


def connect(port: int, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def handshaken(server: Any, source: str) -> ssl.SSLSocket:
    return server.context().wrap_socket(connect(server.port, source), server_hostname="127.0.0.1")


def worker_descriptors(server: Any) -> list[int]:
    from test_webhook_server import children

    return [len(list(Path(f"/proc/{pid}/fd").iterdir())) for pid in children(server.process.pid)]


def test_one_client_holding_connections_locks_no_one_out(server: Any) -> None:
    held: list[socket.socket] = []
    try:
        with ThreadPoolExecutor(16) as pool:  # 600 idle TLS connections from one address...
            held += pool.map(lambda _: handshaken(server, ATTACKER), range(600))
        held += [connect(server.port, OTHER_ATTACKER) for _ in range(1000)]  # ...1,000 no TLS
        time.sleep(1)
        for _ in range(5):  # the API server (another address) is answered, every time
            status, answered = server.post(review(shop_pod()))
            assert status == 200 and answered["response"]["allowed"]
        # counted from accept, within the limit: not a descriptor per half-open connection
        assert all(count < 700 for count in worker_descriptors(server)), worker_descriptors(server)
        metrics = server.health("/metrics")[1]
        evicted = re.search(r'connections_dropped_total\{reason="evicted"\} (\S+)', metrics)
        assert evicted and float(evicted.group(1)) >= 600, metrics  # theirs gave way, counted
    finally:
        for sock in held:
            sock.close()


def test_the_probes_answer_while_a_client_holds_the_metrics_port(server: Any) -> None:
    held = [connect(server.metrics_port, ATTACKER) for _ in range(200)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            assert server.health("/healthz") == (200, "ok\n")
            assert server.health("/readyz")[0] == 200
    finally:
        for sock in held:
            sock.close()


def serving_certificate(server: Any) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with context.wrap_socket(socket.create_connection(("127.0.0.1", server.port))) as tls:
        certificate = tls.getpeercert(binary_form=True)
    assert certificate is not None
    return certificate


def test_a_certificate_replaced_before_its_key_leaves_the_old_pair_serving(
    server: Any, tmp_path: Path
) -> None:
    tls = tmp_path / "tls"
    before = serving_certificate(server)
    rotated = write_certs(tmp_path / "rotated")  # another CA, another key
    (tls / "tls.crt").write_bytes((rotated / "tls.crt").read_bytes())  # the key comes later
    time.sleep(3)  # the watcher polls every 2 s
    assert serving_certificate(server) == before  # every handshake still works, the old pair
    assert server.post(review(shop_pod()))[0] == 200
    (tls / "tls.key").write_bytes((rotated / "tls.key").read_bytes())
    deadline = time.monotonic() + 15
    while serving_certificate(server) == before:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.5)


def test_a_configmap_form_configs_values_stay_out_of_readyz_and_the_log(
    server: Any, tmp_path: Path
) -> None:
    secret = "vault://user:Pa55w0rd@vault:8200"
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "shipper"},
        "data": {
            "kind": "Sidecar",
            "spec": yamlio.dump(
                {"containers": [{"name": "tail", "image": secret, "command": ["tail"]}]}
            ),
        },
    }
    configmap_dir(tmp_path, {"log-shipper.yaml": yamlio.dump(configmap)}, 2)
    deadline = time.monotonic() + 15
    while "last reload failed" not in (text := server.health("/readyz")[1]):
        assert time.monotonic() < deadline, text
        time.sleep(0.3)
    assert "spec.containers[0]" in text and "(the value)" in text
    assert "Pa55w0rd" not in text and "Pa55w0rd" not in server.log.read_text()


def raw_request(port: int, request: bytes, tls: ssl.SSLContext | None = None) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port))
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    with sock:
        sock.settimeout(10)
        sock.sendall(request)
        answer = b""
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def test_a_content_length_in_other_digits_is_a_400_not_a_traceback(server: Any) -> None:
    head = "POST /mutate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ²\r\n\r\n"
    answer_text = raw_request(server.port, head.encode("latin-1") + b"{}", server.context())
    assert answer_text.startswith(b"HTTP/1.1 400 "), answer_text
    health = "GET /healthz HTTP/1.1\r\nContent-Length: ¹²\r\n\r\n"
    assert raw_request(server.metrics_port, health.encode("latin-1")).startswith(b"HTTP/1.1 400 ")
    assert server.post(review(shop_pod()))[0] == 200
    assert "Traceback" not in server.log.read_text(), server.log.read_text()
