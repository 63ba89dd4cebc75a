"""The admission webhook under load: `krm-fn webhook` next to a no-op webhook on the same stack.

wrk (Debian's) sends AdmissionReviews over TLS with keep-alive, cycling through pods (every
example's, or one shape's, in variants), each as the API server sends it: a uid of its own, and
the service account token's volume under a random name (`kube-api-access-xxxxx`, mounted into
every container, as the ServiceAccount admission plugin adds it before the webhooks). Two ways:
each review another pod (a label differs in every request: nothing is answered twice), or the
pods of ReplicaSets (the same pods again and again, with their own uid and token name, as a
scale-up or a rollout sends them). For a bounded time: as fast as the server answers
(saturation), and paced at a fixed rate (each connection waits between requests).
The floor is the same server (workers, TLS, parsing, metrics) answering `allowed` without
looking at the pod (bench/noop_webhook.py). Ratios are reported, never asserted in tests.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shapes import SHAPES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
KRM_FN = str(Path(sys.executable).parent / "krm-fn")
SECONDS = int(os.environ.get("BENCH_WEBHOOK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_WEBHOOK_ROUNDS", "3"))
RATE = 500
CONNECTIONS = 16
WORKERS = 2
# In each request: @UID@ a uid of its own, @TOKEN@ a token volume's name (five characters of the
# alphabet Kubernetes draws them from), @POD@ the label that makes every pod another (distinct)
# or the same for every pod of a template (replicaset).
LUA = """
local bodies = {}
local index = 0
local sent = 0
local prefix = ""
local pod = "rs"
local alphabet = "bcdfghjklmnpqrstvwxz2456789"
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  index = math.random(#bodies)
  prefix = tostring(math.random(1000000000))
  distinct = args[2] == "distinct"
end
local function token(n)
  local out = {}
  for i = 1, 5 do
    local d = n % 27
    out[i] = alphabet:sub(d + 1, d + 1)
    n = math.floor(n / 27)
  end
  return table.concat(out)
end
function request()
  index = index % #bodies + 1
  sent = sent + 1
  local uid = prefix .. "-" .. sent
  local body = bodies[index]:gsub("@UID@", uid):gsub("@TOKEN@", token(sent))
  body = body:gsub("@POD@", distinct and uid or "rs")
  return wrk.format("POST", "/mutate", {["Content-Type"] = "application/json"}, body)
end
"""
# The ways pods come (see the module's docstring), and what a row says of each.
MODES = {
    "distinct": "each review another pod",
    "replicaset": "the pods of ReplicaSets (each again, its own uid and token)",
}


def bodies(path: Path, shape: str | None = None) -> int:
    """AdmissionReviews, one JSON per line, for the pods of every example or of one shape.

    Every example's pods in 8 variants each; or (shape: a file of bench/, as in bench/shapes.py's
    SHAPES) the pod of that Deployment in 200 variants.
    """
    from support import EXAMPLES
    from webhooks import pods_of, review, with_token

    from krm_fn.manifests import yamlio

    pods = []
    if shape is None:
        for example in sorted(EXAMPLES.iterdir()):
            kustomization = example / "kustomization.yaml"
            if not kustomization.exists():
                continue
            for name in yamlio.load(kustomization.read_text())["resources"]:
                for resource in yamlio.load_all((example / name).read_text()):
                    pods += [(pod, example.name, 8) for pod, _ in pods_of(resource)]
    else:
        [(pod, _)] = pods_of(yamlio.load((ROOT / "bench" / shape).read_text()))
        pods.append((pod, "shop", 200))
    made = []
    for pod, name, variants in pods:
        for variant in range(variants):
            varied = json.loads(json.dumps(pod))
            labels = varied["metadata"].setdefault("labels", {})
            labels["bench-variant"] = f"{variant}-@POD@"
            varied["metadata"]["generateName"] = f"v{variant}-{name[:40]}-"
            sent = review(with_token(varied, "@TOKEN@"), "shop")
            sent["request"]["uid"] = "@UID@"
            made.append(json.dumps(sent, separators=(",", ":")))
    path.write_text("\n".join(made) + "\n")
    return len(made)


def configs(directory: Path) -> None:
    """The configs of the sidecar example and of PodDefaults: what most webhooks inject."""
    from support import EXAMPLES

    directory.mkdir()
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", directory / "a.yaml")
    shutil.copy(EXAMPLES / "pod-defaults-webhook-label" / "defaults.yaml", directory / "b.yaml")


def free_port() -> int:
    """A free port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    command: list[str], work: Path, tls: Path
) -> Iterator[tuple[int, int, subprocess.Popen[bytes]]]:
    """A webhook server on loopback: (port, metrics port, process)."""
    port, metrics = free_port(), free_port()
    process = subprocess.Popen(
        [
            *command,
            "--config-dir",
            str(work / "configs"),
            "--tls-cert-file",
            str(tls / "tls.crt"),
            "--tls-key-file",
            str(tls / "tls.key"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics),
            "--workers",
            str(WORKERS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/readyz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{' '.join(command)} did not start") from None
                time.sleep(0.2)
        yield port, metrics, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(
    port: int, work: Path, paced: bool, reviews: str = "bodies.jsonl", mode: str = "distinct"
) -> dict[str, float]:
    """Requests per second and latency percentiles (ms) from one wrk run over `reviews`."""
    script = work / ("paced.lua" if paced else "saturate.lua")
    delay = CONNECTIONS * 1000 / RATE
    # a random pause around the mean, so that connections do not send in step (bursts)
    lua = LUA + (
        f"function delay() return {delay:.3f} * (0.5 + math.random()) end\n" if paced else ""
    )
    script.write_text(lua)
    command = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--latency",
        "-s",
        str(script),
        f"https://127.0.0.1:{port}/mutate",
        "--",
        str(work / reviews),
        mode,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", done.stdout)
    if errors:
        raise SystemExit(f"wrk saw errors: {errors.group(0)}\n{done.stdout}")
    throughput = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert throughput, done.stdout
    figures = {"rps": float(throughput.group(1))}
    for percentile in ("50", "99"):
        match = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", done.stdout)
        assert match, done.stdout
        value, unit = float(match.group(1)), match.group(2)
        figures[f"p{percentile}"] = value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return figures


def worker_rss(process: subprocess.Popen[bytes]) -> float:
    """The largest resident size (MB) of the server's worker processes."""
    children = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
    ).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return max(sizes) if sizes else 0.0


def run(work: Path) -> list[str]:
    """The webhook rows, as Markdown table lines.

    Medians of runs that alternate between the two servers: the machines are shared, and a quiet
    minute and a busy one differ by half.
    """
    from webhooks import write_certs

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    work.mkdir(parents=True, exist_ok=True)
    count = bodies(work / "bodies.jsonl")
    shapes = {name: f"{name}.jsonl" for name in SHAPES}
    for name, reviews in shapes.items():
        bodies(work / reviews, SHAPES[name])
    configs(work / "configs")
    tls = write_certs(work / "tls")
    commands = {
        "noop": [sys.executable, str(ROOT / "bench" / "noop_webhook.py")],
        "krm-fn": [KRM_FN, "webhook"],
    }
    # each run: (reviews, how the pods come, paced)
    kinds = {
        "saturated": ("bodies.jsonl", "distinct", False),
        "replicaset": ("bodies.jsonl", "replicaset", False),
        "paced": ("bodies.jsonl", "distinct", True),
    }
    for shape, reviews in shapes.items():
        kinds |= {f"{shape} {mode}": (reviews, mode, False) for mode in MODES}
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {kind: [] for kind in kinds} for name in commands
    }
    rss: dict[str, float] = {}
    with server(commands["noop"], work, tls) as noop, server(commands["krm-fn"], work, tls) as ours:
        servers = {"noop": noop, "krm-fn": ours}
        for port, _, _ in servers.values():
            wrk(port, work, paced=False)  # warm-up
        for _ in range(ROUNDS):
            for kind, (reviews, mode, steady) in kinds.items():
                for name, (port, _, _) in servers.items():
                    runs[name][kind].append(wrk(port, work, steady, reviews, mode))
        for name, (_, _, process) in servers.items():
            rss[name] = worker_rss(process)

    def median(name: str, kind: str, figure: str) -> float:
        return statistics.median(r[figure] for r in runs[name][kind])

    paced = {n: [median(n, "paced", f) for f in ("rps", "p50", "p99")] for n in commands}
    saturated = {n: [median(n, "saturated", f) for f in ("p50", "p99")] for n in commands}

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "not met"

    def row(kind: str, what: str) -> str:
        """A row; its target as decided in docs/performance.md ("The admission webhook").

        0.35x the floor for the same pods again (the pods of ReplicaSets); pods that are all
        different have a target in reviews/s, their ratio to the floor shown beside it.
        """
        ours, base = median("krm-fn", kind, "rps"), median("noop", kind, "rps")
        if kind.endswith("replicaset"):
            target = f"≥ 0.35x the floor ({ours / base:.2f}x): {verdict(ours / base >= 0.35)}"
        else:
            target = f"≥ 2,500/s: {verdict(ours >= 2500)} ({ours / base:.2f}x the floor)"
        return f"| reviews/s at saturation, {what} | {ours:,.0f} | {base:,.0f} | {target} |"

    return [
        f"Admission webhook: {WORKERS} workers, TLS with keep-alive, wrk with {CONNECTIONS} "
        f"connections, medians of {ROUNDS} runs of {SECONDS} s alternating with the floor, "
        f"which answers without looking at the pod; {count} pods (every example's, in "
        "variants), and each shape of the rows above in 200 variants; each review with a uid "
        "and a service account token's volume name of its own, as the API server sends them. "
        f"Pods come two ways: {MODES['distinct']} (a label differs in every review: nothing is "
        f"answered twice), or {MODES['replicaset']}.",
        "",
        "| what | krm-fn webhook | no-op floor | target |",
        "|---|---:|---:|---|",
        row("saturated", f"every example's pods, {MODES['distinct']}"),
        row("replicaset", f"every example's pods, {MODES['replicaset']}"),
        *[
            row(f"{shape} {mode}", f"the {shape} Deployment's pod, {what}")
            for shape in shapes
            for mode, what in MODES.items()
        ],
        "| p50 / p99 at saturation, each review another pod | {:.1f} / {:.1f} ms "
        "| {:.1f} / {:.1f} ms | (context) |".format(*saturated["krm-fn"], *saturated["noop"]),
        "| p50 / p99 paced (~{:,.0f} reviews/s) | {:.2f} / {:.2f} ms | {:.2f} / {:.2f} ms ".format(
            *paced["krm-fn"], *paced["noop"][1:]
        )
        + f"| p99 ≤ 5 ms at {RATE}/s: {verdict(paced['krm-fn'][2] <= 5)} |",
        f"| resident memory per worker after the runs | {rss['krm-fn']:.0f} MB "
        f"| {rss['noop']:.0f} MB | ≤ 150 MB: {verdict(rss['krm-fn'] <= 150)} |",
    ]


if __name__ == "__main__":
    import tempfile

    print("\n".join(run(Path(tempfile.mkdtemp(prefix="krm-fn-webhook-bench-")))))
