"""Validators of the PodPatterns config (krm_fn/patterns/models/bundle.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any

from krm_fn.patterns.validated import MISSING, Unsure, Validated, matching, required, string
from krm_fn.patterns.validators import PatternSpec, _common_dict_of_anything, fill_PatternSpec

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class BundleBundleSpec(PatternSpec):
    """BundleSpec of krm_fn.patterns.models.bundle, validated."""

    __slots__ = ("patterns",)
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "patterns",
    )
    ALIASES = {**PatternSpec.ALIASES, "patterns": "patterns"}
    patterns: list[BundlePatternEntry]


class BundlePatternEntry(Validated):
    """PatternEntry of krm_fn.patterns.models.bundle, validated."""

    __slots__ = ("kind", "name", "spec")
    FIELDS: tuple[str, ...] = ("kind", "name", "spec")
    ALIASES = {"kind": "kind", "name": "name", "spec": "spec"}
    kind: str
    name: str | None
    spec: dict[str, Any]


def _string_matching_dns_label(value: Any) -> Any:
    value = string(value)
    value = matching(value, DNS_LABEL)
    return value


def _optional_string_matching_dns_label(value: Any) -> Any:
    return None if value is None else _string_matching_dns_label(value)


def validate_BundlePatternEntry(value: Any) -> BundlePatternEntry:
    """A PatternEntry of krm_fn.patterns.models.bundle."""
    if type(value) is not dict or not value.keys() <= BundlePatternEntry.ALIASES.keys():
        raise Unsure
    result: BundlePatternEntry = BundlePatternEntry.__new__(BundlePatternEntry)
    item = value.get("kind", MISSING)
    result.kind = required() if item is MISSING else string(item)
    item = value.get("name", MISSING)
    result.name = None if item is MISSING else _optional_string_matching_dns_label(item)
    item = value.get("spec", MISSING)
    result.spec = dict() if item is MISSING else _common_dict_of_anything(item)
    result.model_fields_set = frozenset(map(BundlePatternEntry.ALIASES.__getitem__, value))
    return result


def _list_of_bundle_pattern_entry(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_BundlePatternEntry(item) for item in value]


def _list_of_bundle_pattern_entry_min_1(value: Any) -> Any:
    value = _list_of_bundle_pattern_entry(value)
    if len(value) < 1:
        raise Unsure
    return value


def validate_BundleBundleSpec(value: Any) -> BundleBundleSpec:
    """A BundleSpec of krm_fn.patterns.models.bundle."""
    if type(value) is not dict or not value.keys() <= BundleBundleSpec.ALIASES.keys():
        raise Unsure
    result: BundleBundleSpec = BundleBundleSpec.__new__(BundleBundleSpec)
    fill_PatternSpec(result, value)
    item = value.get("patterns", MISSING)
    result.patterns = required() if item is MISSING else _list_of_bundle_pattern_entry_min_1(item)
    result.model_fields_set = frozenset(map(BundleBundleSpec.ALIASES.__getitem__, value))
    return result


validate = validate_BundleBundleSpec
