"""Validators of the PodResources config (krm_fn/patterns/models/pod_resources.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any

from krm_fn.patterns.pod_resources import check_quantities
from krm_fn.patterns.validated import MISSING, Unsure, boolean, checked
from krm_fn.patterns.validators import (
    PatternSpec,
    _common_dict_of_string_or_integer_or_floating,
    fill_PatternSpec,
)


class PodResourcesSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.pod_resources, validated."""

    __slots__ = ("allow_init_dominance", "max_limits", "max_requests")
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "max_requests",
        "max_limits",
        "allow_init_dominance",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "maxRequests": "max_requests",
        "maxLimits": "max_limits",
        "allowInitDominance": "allow_init_dominance",
    }
    max_requests: dict[str, str | int | float]
    max_limits: dict[str, str | int | float]
    allow_init_dominance: bool


def _dict_of_string_or_integer_or_floating_check_quantities(value: Any) -> Any:
    value = _common_dict_of_string_or_integer_or_floating(value)
    value = checked(check_quantities, value)
    return value


def validate_PodResourcesSpec(value: Any) -> PodResourcesSpec:
    """A Spec of krm_fn.patterns.models.pod_resources."""
    if type(value) is not dict or not value.keys() <= PodResourcesSpec.ALIASES.keys():
        raise Unsure
    result: PodResourcesSpec = PodResourcesSpec.__new__(PodResourcesSpec)
    fill_PatternSpec(result, value)
    item = value.get("maxRequests", MISSING)
    result.max_requests = (
        dict() if item is MISSING else _dict_of_string_or_integer_or_floating_check_quantities(item)
    )
    item = value.get("maxLimits", MISSING)
    result.max_limits = (
        dict() if item is MISSING else _dict_of_string_or_integer_or_floating_check_quantities(item)
    )
    item = value.get("allowInitDominance", MISSING)
    result.allow_init_dominance = False if item is MISSING else boolean(item)
    result.model_fields_set = frozenset(map(PodResourcesSpec.ALIASES.__getitem__, value))
    return result


validate = validate_PodResourcesSpec
