"""Work that grows with the input, counted rather than timed: no step may be quadratic."""

from typing import Any

import pytest

from krm_fn.framework import transform
from krm_fn.kube import services

COUNT = 300
SIDECAR = {
    "apiVersion": "krm-fn.dev/v1alpha1",
    "kind": "Sidecar",
    "metadata": {"name": "logs"},
    "spec": {"containers": [{"name": "tail", "image": "busybox:1.36"}]},
}


def shop(index: int) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/part-of": "store", "app": f"shop-{index}"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"shop-{index}"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
            },
        },
    }
    service = {  # the shared pair first: a lookup keyed on it would check every Service
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"shop-{index}"},
        "spec": {"selector": dict(labels), "ports": [{"port": 80}]},
    }
    return [deployment, service]


def test_finding_the_services_of_each_pod_does_not_check_every_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = 0
    selects_pod = services.selects_pod

    def counted(*args: Any) -> bool:
        nonlocal checks
        checks += 1
        return selects_pod(*args)

    monkeypatch.setattr(services, "selects_pod", counted)
    items = [resource for index in range(COUNT) for resource in shop(index)]
    results = transform(SIDECAR, items)
    assert not [r for r in results if r.severity == "error"]
    assert COUNT <= checks <= 2 * COUNT  # each pod's own Service, not COUNT**2 checks
