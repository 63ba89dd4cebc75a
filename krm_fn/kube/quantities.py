"""Kubernetes quantities, and a pod's effective requests and limits as the scheduler computes them.

For each resource: the sum over the app containers and the native sidecars (init containers with
`restartPolicy: Always`), or, if larger, the largest of the init container terms, where a
regular init container counts with the native sidecars declared before it (they run beside it)
and a native sidecar with those before it and itself; plus the pod overhead. Pod-level
`spec.resources` (Kubernetes 1.32+), where set, replaces the computed value.
"""

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

SUFFIXES: dict[str, Fraction] = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|([a-zA-Z]*))$")
ORDER = ("cpu", "memory", "ephemeral-storage")
# As the API server stores a quantity: no magnitude above 2^63-1 (capped), no step below 1n
# (rounded up, away from zero). The text is bounded, so an exponent past these bounds only
# caps or rounds: it is clamped before any arithmetic (`1e10000000` costs nothing).
MAX_QUANTITY = Fraction(2**63 - 1)
SMALLEST_STEP = Fraction(1, 10**9)
MAX_QUANTITY_TEXT = 64
_EXPONENTS = (-(MAX_QUANTITY_TEXT + 10), MAX_QUANTITY_TEXT + 20)


@functools.lru_cache(maxsize=1024)  # manifests repeat the same few quantities
def parse_quantity(value: Any) -> Fraction:
    """A Kubernetes quantity (`500m`, `1.5`, `128Mi`, `1e3`) as an exact number, as stored."""
    text = str(value).strip()
    match = QUANTITY.match(text) if len(text) <= MAX_QUANTITY_TEXT else None
    if not match or (match[3] or "") not in SUFFIXES:
        raise ValueError(f'"{_short(value)}" is not a Kubernetes quantity')
    number = Fraction(match[1])
    if match[2]:
        low, high = _EXPONENTS
        amount = number * Fraction(10) ** max(low, min(high, int(match[2])))
    else:
        amount = number * SUFFIXES[match[3] or ""]
    magnitude = abs(amount)
    if magnitude > MAX_QUANTITY:
        magnitude = MAX_QUANTITY
    elif (magnitude / SMALLEST_STEP).denominator != 1:
        magnitude = math.ceil(magnitude / SMALLEST_STEP) * SMALLEST_STEP
    return magnitude if amount >= 0 else -magnitude


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_QUANTITY_TEXT else text[:MAX_QUANTITY_TEXT] + "..."


def format_quantity(name: str, value: Fraction) -> str:
    """A quantity the way people write it: `250m`, `2`, `320Mi`."""
    if name == "cpu":
        if value.denominator == 1:
            return str(value.numerator)
        millis = value * 1000
        return (
            f"{millis.numerator // millis.denominator}m"
            if millis.denominator == 1
            else f"{float(value):g}"
        )
    if value.denominator != 1:
        return f"{float(value):g}"
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        if value and value % SUFFIXES[suffix] == 0:
            return f"{value // SUFFIXES[suffix]}{suffix}"
    return str(value.numerator)


def _amounts(container: dict[str, Any], kind: str) -> dict[str, Fraction]:
    values = ((container.get("resources") or {}).get(kind)) or {}
    return {name: parse_quantity(v) for name, v in values.items()}


def _add(into: dict[str, Fraction], other: dict[str, Fraction]) -> None:
    for name, value in other.items():
        into[name] = into.get(name, 0) + value


@dataclass
class Effective:
    """The pod's effective amounts of one kind (requests or limits)."""

    amounts: dict[str, Fraction] = field(default_factory=dict)
    app: dict[str, Fraction] = field(default_factory=dict)  # app containers + native sidecars
    init: dict[str, Fraction] = field(default_factory=dict)  # the largest init term
    init_by: dict[str, str] = field(default_factory=dict)  # which init container gave it
    unbounded: set[str] = field(default_factory=set)  # limits: some container sets none

    def describe(self) -> str:
        """`cpu=250m, memory=320Mi`, with `no limit` where a container has none."""
        names = sorted({*self.amounts, *self.unbounded}, key=lambda n: (*ORDER, n).index(n))
        parts = []
        for name in names:
            value = (
                "unbounded" if name in self.unbounded else format_quantity(name, self.amounts[name])
            )
            parts.append(f"{name}={value}")
        return ", ".join(parts) or "none"

    def dominated_by_init(self) -> dict[str, str]:
        """Resources whose pod amount comes from an init container, and which one."""
        return {
            n: self.init_by[n] for n, v in self.init.items() if v > self.app.get(n, Fraction(0))
        }


def effective(spec: dict[str, Any], kind: str) -> Effective:
    """The pod's effective `requests` or `limits`."""
    result = Effective()
    for container in spec.get("containers") or []:
        _add(result.app, _amounts(container, kind))
    sidecars: dict[str, Fraction] = {}
    for container in spec.get("initContainers") or []:
        amounts = _amounts(container, kind)
        if container.get("restartPolicy") == "Always":
            _add(result.app, amounts)
            _add(sidecars, amounts)
            term = dict(sidecars)
        else:
            term = dict(amounts)
            _add(term, sidecars)
        for name, value in term.items():
            if value > result.init.get(name, Fraction(0)):
                result.init[name] = value
                result.init_by[name] = str(container.get("name"))
    names = {*result.app, *result.init}
    result.amounts = {
        n: max(result.app.get(n, Fraction(0)), result.init.get(n, Fraction(0))) for n in names
    }
    _add(result.amounts, {n: parse_quantity(v) for n, v in (spec.get("overhead") or {}).items()})
    if kind == "limits":
        every = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        declared = [((c.get("resources") or {}).get(kind)) or {} for c in every]
        result.unbounded = {n for n in names if any(n not in amounts for amounts in declared)}
    pod_level = (spec.get("resources") or {}).get(kind) or {}
    for name, value in pod_level.items():
        result.amounts[name] = parse_quantity(value)
        result.unbounded.discard(name)
    return result
