"""PodPatterns: several patterns applied in order, in one process.

Each entry of `spec.patterns` has a `kind` (Sidecar, InitContainer, PodDefaults...), an optional
`name` and its `spec`. `targets`, `appContainers`, `kubernetesVersion` and `podTemplatePaths` set on
the bundle are defaults for every pattern that does not set its own. Each pattern is recorded
under its own key, `<Kind>/<bundle name>.<pattern name>`, so one bundle behaves like a pipeline
of single-kind configs, in one process instead of one per pattern. Two patterns of one kind need
distinct names.

Seen running on the test node (tests/test_scenarios.py): the migration example is a bundle, run on
the node like each pattern's example.
"""

from typing import Any

from pydantic import Field

from krm_fn.patterns.models.spec import DNS_LABEL, Model, PatternSpec


class PatternEntry(Model):
    """One pattern of a bundle."""

    kind: str = Field(description="The pattern kind, e.g. `Sidecar`.")
    name: str | None = Field(
        None,
        description="Name of this pattern within the bundle (default: the kind in lowercase); "
        "needed when a bundle holds two patterns of one kind.",
        pattern=DNS_LABEL,
    )
    spec: dict[str, Any] = Field(default_factory=dict, description="The pattern's spec.")


class BundleSpec(PatternSpec):
    """Patterns applied in order.

    `targets`, `appContainers`, `kubernetesVersion` and `podTemplatePaths` set here are defaults
    for every pattern of the bundle that does not set its own.
    """

    patterns: list[PatternEntry] = Field(
        min_length=1, description="The patterns, applied in this order."
    )
