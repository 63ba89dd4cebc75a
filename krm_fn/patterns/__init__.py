"""The patterns: one module per kind, and what every one of them provides (`Pattern`).

A pattern module has `inject(spec, pod)`, its transform, written against the PodEditor it is
given, and `FACTS`, what else is known about the kind. Its config model, `Spec` (a PatternSpec),
is in models/<pattern>.py here; the validators generated from it in validators/; its example in
kustomization-examples/. The engine loads a module by name (krm_fn.kinds.PATTERNS) when
a config uses its kind.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from krm_fn.editing.pod_editor import PodEditor


class Inject(Protocol):
    """A pattern's transform: change one pod template through its editor, for one spec."""

    def __call__(self, spec: Any, pod: "PodEditor", /) -> None:
        """Inject what `spec` says into the pod `pod` edits."""


Generates = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Facts:
    """What is known about a pattern kind besides its transform, declared in its module."""

    example: str  # the folder of kustomization-examples/ that shows it (docs, functions.yaml)
    generates: Generates = frozenset()  # (apiVersion, kind) of the resources it may generate
    validator: bool = False  # functions.yaml tags it a validator rather than a mutator
    # why no config of the kind can apply at admission (a webhook sees one pod, creates nothing)
    never_at_admission: str = ""
    # why this config cannot apply at admission, where that depends on the spec
    admission_check: Callable[[Any], str | None] | None = None
    # whether `krm-fn admission-policy` compiles it ("compiles..." or "does not compile: why"),
    # as explain says; tests/test_admission_policy.py holds it to what the compiler does
    admission_policy: str = ""
    # what it may replace of what the user wrote (the record keeps the old value, and a record
    # that says another kind replaced such a field is refused): fields of the app's containers,
    # fields of the pod spec, and the record's own fields beyond the common ones (envWas, args,
    # ports...). `make validators` writes them into krm_fn/editing/record_kinds.py.
    replaces_container_fields: frozenset[str] = frozenset()
    adds_containers: bool = True  # False: its example adds none (tests check those it adds)
    replaces_pod_fields: frozenset[str] = frozenset()
    record_fields: frozenset[str] = frozenset()


@runtime_checkable
class Pattern(Protocol):
    """What every pattern module provides (tests/test_catalog.py checks each registered kind).

    `inject` is its transform and `FACTS` what else is known about it. Its config model, `Spec`
    (a PatternSpec), is in krm_fn.patterns.models (`spec_model`).
    """

    inject: Inject
    FACTS: Facts
