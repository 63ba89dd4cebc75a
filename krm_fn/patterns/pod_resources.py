"""PodResources: a check (a kpt validator) of what the selected pods will reserve.

It changes nothing. For every selected pod it computes the effective requests and limits as the
scheduler does (app containers and native sidecars summed, or the largest init container term if
that is larger, plus the pod overhead) and fails when a budget (`maxRequests`, `maxLimits`) is
exceeded or a limit is unbounded while `maxLimits` sets one, and, unless `allowInitDominance`,
when an init container sets the pod's CPU or memory request: the init-container chapter's
warning, since that reservation is held for the pod's whole life although the init container
ran only at the start.

Seen running: nothing: it changes no pod. Its verdict is compared with a real API server's
ResourceQuota for the same requests (tests/test_cluster.py).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.quantities import effective, format_quantity, parse_quantity
from krm_fn.patterns import Facts

if TYPE_CHECKING:
    from krm_fn.patterns.models.pod_resources import Spec


def check_quantities(value: dict[str, Any]) -> dict[str, Any]:
    """A budget of Kubernetes quantities."""
    for quantity in value.values():
        parse_quantity(quantity)
    return value


FACTS = Facts(
    example="pod-resources-budget",
    validator=True,
    admission_policy="does not compile: it checks the pod's own resources",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Compare the pod's effective amounts with the budget."""
    try:
        requests, limits = effective(pod.spec, "requests"), effective(pod.spec, "limits")
    except ValueError as err:
        pod.error(str(err))
        return
    failed = False
    for kind, budget, amounts in (
        ("requests", spec.max_requests, requests),
        ("limits", spec.max_limits, limits),
    ):
        for name, maximum in budget.items():
            if name in amounts.unbounded or (kind == "limits" and name not in amounts.amounts):
                message = f"pod {kind} {name} is unbounded (a container sets no limit)"
                pod.error(f"{message}; the budget is {maximum}")
                failed = True
            elif name in amounts.amounts and amounts.amounts[name] > parse_quantity(maximum):
                value = format_quantity(name, amounts.amounts[name])
                pod.error(f"pod {kind} {name}={value} exceed the budget {maximum}")
                failed = True
    if not spec.allow_init_dominance:
        for name, container in sorted(requests.dominated_by_init().items()):
            if name in ("cpu", "memory"):
                init = format_quantity(name, requests.init[name])
                app = format_quantity(name, requests.app.get(name, Fraction(0)))
                pod.error(
                    f'init container "{container}" sets the pod\'s {name} request ({init}, the app '
                    f"containers need {app}); the pod reserves it for its whole life",
                    f"spec.initContainers[name={container}].resources",
                )
                failed = True
    if not failed:
        pod.report(
            "info", f"within budget: requests {requests.describe()}; limits {limits.describe()}"
        )
