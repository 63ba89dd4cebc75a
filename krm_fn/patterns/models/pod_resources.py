"""The config model of PodResources (docs and transform: krm_fn/patterns/pod_resources.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.patterns.models.spec import PatternSpec, Quantity
from krm_fn.patterns.pod_resources import check_quantities


class Spec(PatternSpec):
    """Budgets for the pods' effective requests and limits."""

    max_requests: Annotated[dict[str, Quantity], AfterValidator(check_quantities)] = Field(
        default_factory=dict,
        description="Largest allowed pod requests, e.g. `{cpu: 2, memory: 4Gi}`.",
    )
    max_limits: Annotated[dict[str, Quantity], AfterValidator(check_quantities)] = Field(
        default_factory=dict, description="Largest allowed pod limits."
    )
    allow_init_dominance: bool = Field(
        False, description="Allow an init container to set the pod's CPU or memory request."
    )
