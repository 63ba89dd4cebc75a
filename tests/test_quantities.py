"""The resource arithmetic, against cases computed by hand."""

from fractions import Fraction
from typing import Any

import pytest

from krm_fn.kube.quantities import effective, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Fraction(1, 2)),
        ("1.5", Fraction(3, 2)),
        ("2", Fraction(2)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1G", Fraction(10**9)),
        ("1e3", Fraction(1000)),
        ("0.25Gi", Fraction(2**28)),
        (3, Fraction(3)),
    ],
)
def test_parse_quantity(text: Any, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["", "12X", "m", "1.2.3", "Mi"])
def test_bad_quantity(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(bad)


def test_format_quantity() -> None:
    assert format_quantity("cpu", Fraction(1, 4)) == "250m"
    assert format_quantity("cpu", Fraction(2)) == "2"
    assert format_quantity("memory", Fraction(320 * 2**20)) == "320Mi"
    assert format_quantity("memory", Fraction(3 * 2**30)) == "3Gi"
    assert format_quantity("memory", Fraction(1000)) == "1000"


def c(
    name: str, requests: dict[str, str], limits: dict[str, str] | None = None, native: bool = False
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "x", "resources": {"requests": requests}}
    if limits is not None:
        container["resources"]["limits"] = limits
    if native:
        container["restartPolicy"] = "Always"
    return container


def test_app_containers_add_up() -> None:
    spec = {
        "containers": [
            c("a", {"cpu": "100m", "memory": "64Mi"}),
            c("b", {"cpu": "250m", "memory": "1Gi"}),
        ]
    }
    requests = effective(spec, "requests")
    assert requests.amounts == {"cpu": Fraction(35, 100), "memory": Fraction(1088 * 2**20)}
    assert requests.describe() == "cpu=350m, memory=1088Mi"


def test_a_large_init_container_dominates() -> None:
    # the init-container chapter: max(largest init container, sum of app containers)
    spec = {
        "initContainers": [
            c("migrate", {"cpu": "2", "memory": "256Mi"}),
            c("fetch", {"cpu": "100m", "memory": "2Gi"}),
        ],
        "containers": [
            c("app", {"cpu": "500m", "memory": "512Mi"}),
            c("log", {"cpu": "50m", "memory": "32Mi"}),
        ],
    }
    requests = effective(spec, "requests")
    assert requests.amounts == {"cpu": Fraction(2), "memory": Fraction(2 * 2**30)}
    assert requests.dominated_by_init() == {"cpu": "migrate", "memory": "fetch"}


def test_native_sidecars_count_with_the_app_and_with_later_init_containers() -> None:
    # proxy (native, 200m) | migrate (1 cpu) | logs (native, 100m) | app 300m
    # app term: 300 + 200 + 100 = 600m; init terms: proxy 200m, migrate 1000+200 = 1200m,
    # logs 200+100 = 300m -> 1200m. memory: app 128+64+32 = 224Mi; migrate 512+64 = 576Mi.
    spec = {
        "initContainers": [
            c("proxy", {"cpu": "200m", "memory": "64Mi"}, native=True),
            c("migrate", {"cpu": "1", "memory": "512Mi"}),
            c("logs", {"cpu": "100m", "memory": "32Mi"}, native=True),
        ],
        "containers": [c("app", {"cpu": "300m", "memory": "128Mi"})],
    }
    requests = effective(spec, "requests")
    assert requests.app == {"cpu": Fraction(6, 10), "memory": Fraction(224 * 2**20)}
    assert requests.amounts == {"cpu": Fraction(12, 10), "memory": Fraction(576 * 2**20)}
    assert requests.dominated_by_init() == {"cpu": "migrate", "memory": "migrate"}


def test_a_sidecar_after_the_init_container_does_not_count_for_it() -> None:
    spec = {
        "initContainers": [c("migrate", {"cpu": "500m"}), c("proxy", {"cpu": "400m"}, native=True)],
        "containers": [c("app", {"cpu": "300m"})],
    }
    # migrate alone: 500m; app + proxy: 700m
    assert effective(spec, "requests").amounts == {"cpu": Fraction(7, 10)}
    assert effective(spec, "requests").dominated_by_init() == {}


def test_overhead_and_pod_level_resources() -> None:
    spec = {
        "containers": [c("app", {"cpu": "1", "memory": "1Gi"})],
        "overhead": {"cpu": "250m", "memory": "120Mi"},
    }
    assert effective(spec, "requests").describe() == "cpu=1250m, memory=1144Mi"
    spec["resources"] = {"requests": {"cpu": "4"}}
    assert effective(spec, "requests").describe() == "cpu=4, memory=1144Mi"


def test_limits_are_unbounded_when_a_container_has_none() -> None:
    spec = {
        "initContainers": [c("init", {"memory": "64Mi"}, {"memory": "128Mi"})],
        "containers": [
            c("app", {"memory": "1Gi"}, {"memory": "2Gi", "cpu": "1"}),
            c("other", {}, {"memory": "256Mi"}),
        ],
    }
    limits = effective(spec, "limits")
    assert limits.unbounded == {"cpu"}
    assert limits.describe() == "cpu=unbounded, memory=2304Mi"
