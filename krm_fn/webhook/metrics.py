"""The webhook's Prometheus metrics, one registry over every worker.

prometheus-client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR is set before this module is
imported, and the parent reads every worker's files for /metrics.
"""

from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

if TYPE_CHECKING:
    from krm_fn.webhook.admission import Answer

requests = Counter(
    "krm_fn_webhook_requests_total",
    "AdmissionReviews answered, by result (injected, unchanged, denied, error) and reason.",
    ["result", "reason"],
)
duration = Histogram(
    "krm_fn_webhook_request_duration_seconds",
    "Time from the request's first byte to its answer.",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
patch_bytes = Histogram(
    "krm_fn_webhook_patch_bytes",
    "Size of the JSON Patches returned.",
    buckets=(64, 256, 1024, 4096, 16384, 65536, 262144, 1048576),
)
answers_given_again = Counter(
    "krm_fn_webhook_answers_given_again_total",
    "AdmissionReviews answered with an answer already worked out: the same pod, in the same "
    "bytes but for the uid, under the same configs (the pods of one ReplicaSet).",
)
config_generation = Gauge(
    "krm_fn_webhook_config_generation",
    "Generation of the configs in force (1 at start, one more per successful reload).",
    multiprocess_mode="max",
)
connections_dropped = Counter(
    "krm_fn_webhook_connections_dropped_total",
    "Connections closed because the limits were reached: evicted (the oldest waiting one of the "
    "address holding the most, for a new one) or refused (every connection was being answered).",
    ["reason"],
)
config_reload_failures = Counter(
    "krm_fn_webhook_config_reload_failures_total",
    "Config directory changes that were not valid (the previous configs kept serving).",
)


def record(answer: "Answer", seconds: float) -> None:
    """Count one answered review."""
    requests.labels(answer.outcome, answer.reason).inc()
    duration.observe(seconds)
    if answer.cached:
        answers_given_again.inc()
    if answer.patch_bytes:
        patch_bytes.observe(answer.patch_bytes)


def exposition() -> tuple[bytes, str]:
    """Every process's metrics, in Prometheus' text format."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def worker_gone(pid: int) -> None:
    """Forget a worker that exited (its live gauges)."""
    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
