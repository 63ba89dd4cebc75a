"""The core at admission: what configs do to one pod, as the webhook and the policy see it.

At admission there is one pod and no workload: targets select by the pod's owners, nothing is
generated, and a config that only makes sense on manifests is refused (`admission_problem`).
`inject` is what `krm-fn webhook` answers and what `krm-fn admission-policy` compiles.
"""

from collections.abc import Callable
from typing import Any

from krm_fn.engine.config import Instance, facts
from krm_fn.engine.core import Options, apply
from krm_fn.engine.deadline import NONE as NO_DEADLINE
from krm_fn.engine.deadline import Deadline, DeadlineExceeded
from krm_fn.kube.selection import selects
from krm_fn.kube.workloads import PodTemplate, owners
from krm_fn.manifests.results import Result
from krm_fn.manifests.yamlio import clone

# Containers, init containers and ephemeral containers a pod may have for krm-fn to answer it: a
# real pod has a handful; past this, the pod is refused before the core sees it, by the webhook
# and by the admission policy (the work per pod is linear, and this bounds it).
MAX_CONTAINERS = 1_000
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def admission_problem(instance: Instance) -> str | None:
    """Why a config cannot be applied at admission, if it cannot."""
    pattern = facts(instance.kind)
    if pattern.never_at_admission:
        return f"not at admission: {pattern.never_at_admission}"
    spec: Any = instance.spec
    problem = pattern.admission_check(spec) if pattern.admission_check else None
    if problem:
        return problem
    if spec.pod_template_paths:
        return "podTemplatePaths mean nothing at admission: the webhook sees pods"
    if not spec.pod_opt_out and spec.on_error == "admit":
        return (
            "podOptOut: false with onError: admit lets any pod turn the config off (a pod that "
            "makes it fail, with a container of the sidecar's name or a bad annotation, would be "
            "admitted without it): set onError: deny, or podOptOut: true"
        )
    return None


def inject(
    pod: dict[str, Any],
    namespace: str,
    instances: list[Instance],
    budget: Deadline = NO_DEADLINE,
    raise_internal_errors: bool = False,
    copy: Callable[[Any], Any] = clone,
) -> tuple[dict[str, Any], list[Result], list[Instance]]:
    """A copy of the pod with the configs applied as at admission in `namespace`.

    (the pod, the results, the configs that select it): what the webhook answers and what the
    admission policy compiles. `copy` makes the copy (the webhook's copies through orjson).
    """
    working = copy(pod)
    meta = working.get("metadata")
    if not isinstance(meta, dict):
        meta = working["metadata"] = {}
    meta["namespace"] = namespace
    candidates = owners(working, namespace)

    def selector(instance: Instance, template: PodTemplate) -> bool:
        if not instance.spec.targets:
            return True
        return any(selects(t, c) for t in instance.spec.targets for c in candidates)

    selected = [i for i in instances if selector(i, PodTemplate(working, working, ""))]
    try:
        options = Options(
            selector=selector,
            notes=False,
            restore=False,
            report_unmatched=False,
            deadline=budget,
            raise_internal_errors=raise_internal_errors,
        )
        results = apply([working], instances, options)
    except DeadlineExceeded:
        raise  # the caller answers it
    except Exception as err:  # a bug in krm-fn: deny (or admit) as an error, never a 500
        if raise_internal_errors:
            raise
        results = [Result(f"internal error ({type(err).__name__}: {err})", "error")]
    return working, results, selected
