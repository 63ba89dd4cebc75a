"""Which resources a pattern applies to: kustomize-style selectors with label selector syntax."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s*"
    r"(?:(?P<op>==|!=|=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[-A-Za-z0-9_.]*))?\s*$"
)


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: `key`, `!key`, `key=v`, `key!=v`, `key in (a,b)`..."""

    key: str
    operator: str  # exists, !exists, in, notin
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, Any]) -> bool:
        """Whether a label map satisfies this term."""
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!exists":
            return not present
        inside = present and str(labels[self.key]) in self.values
        return inside if self.operator == "in" else not inside


def _split_terms(text: str) -> list[str]:
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


@lru_cache(maxsize=256)
def parse_selector(text: str) -> tuple[Requirement, ...]:
    """Parse Kubernetes label selector syntax; raise ValueError naming the bad term."""
    if not text.strip():
        return ()
    requirements = []
    for term in _split_terms(text):
        match = _REQUIREMENT.match(term)
        if not match or (match["neg"] and match["op"]):
            raise ValueError(f'invalid selector term "{term.strip()}"')
        op = (match["op"] or "").strip()
        key = match["key"]
        if not op:
            requirements.append(Requirement(key, "!exists" if match["neg"] else "exists"))
            continue
        raw = match["value"] or ""
        if op in ("in", "notin"):
            if not raw.startswith("("):
                raise ValueError(f'invalid selector term "{term.strip()}": expected (a,b)')
            values = frozenset(v.strip() for v in raw[1:-1].split(",") if v.strip())
        else:
            values = frozenset([raw])
        requirements.append(Requirement(key, "notin" if op in ("!=", "notin") else "in", values))
    return tuple(requirements)


class PatternError(ValueError):
    """A selector regex that RE2 (kustomize's engine) does not accept."""


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """A selector field is a regex that must match the whole value, as in kustomize.

    Compiled by RE2, the engine (and syntax) of kustomize's Go regexp: matching takes time
    linear in the value whatever the pattern, so no input can make it slow. What RE2 does not
    have (backreferences, lookarounds) is a PatternError.
    """
    import re2  # google-re2, imported only when a config has a selector regex

    options = re2.Options()
    options.log_errors = False  # the error is the caller's to report, not RE2's on stderr
    try:
        return re2.compile(pattern, options=options)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise PatternError(text) from None


class Selector(Protocol):
    """The fields of a target selector (the pydantic model in spec.py)."""

    group: str | None
    version: str | None
    kind: str | None
    name: str | None
    namespace: str | None
    label_selector: str | None
    annotation_selector: str | None


def selects(selector: Selector, resource: dict[str, Any], namespace: str = "") -> bool:
    """Whether every field the selector sets matches the resource.

    `namespace` is that of a resource without one (as `kubectl apply -n` and `helm -n` place it).
    """
    api_version = str(resource.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    meta = resource.get("metadata") or {}
    values = {
        "group": group,
        "version": version,
        "kind": str(resource.get("kind", "")),
        "name": str(meta.get("name", "")),
        "namespace": str(meta.get("namespace") or namespace),
    }
    for field_name, value in values.items():
        pattern = getattr(selector, field_name)
        if pattern is not None and not compile_pattern(pattern).fullmatch(value):
            return False
    for text, labels in (
        (selector.label_selector, meta.get("labels")),
        (selector.annotation_selector, meta.get("annotations")),
    ):
        if text and not all(r.matches(labels or {}) for r in parse_selector(text)):
            return False
    return True


def matches_label_selector(selector: Any, labels: dict[str, Any]) -> bool:
    """Whether labels pass a Kubernetes LabelSelector object (matchLabels, matchExpressions).

    As the API server reads a webhook's namespaceSelector: an empty selector matches all; an
    unknown operator matches nothing.
    """
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict) or expression.get("operator") not in operators:
            return False
        values = frozenset(str(v) for v in expression.get("values") or [])
        term = Requirement(str(expression.get("key")), operators[expression["operator"]], values)
        if not term.matches(labels):
            return False
    return True
