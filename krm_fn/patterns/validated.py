"""What the generated validators (krm_fn/patterns/validators/) run on: no pydantic.

A generated validator builds a `Validated` object with the model's attributes for the plain
cases, and raises `Unsure` for anything else, which the caller then validates with pydantic.
"""

import re
from typing import Any


class Unsure(Exception):
    """Not a case the generated validators decide: validate with pydantic."""


class Validated:
    """A validated config object: the model's fields as attributes."""

    __slots__ = ("model_fields_set",)
    model_fields_set: frozenset[str]
    FIELDS: tuple[str, ...] = ()  # attribute names, in the model's order
    ALIASES: dict[str, str] = {}  # field name in YAML -> attribute name

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.FIELDS
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({fields})"


MISSING: Any = object()  # a field the input does not set


def dump(value: Any) -> Any:
    """Plain data, as pydantic's model_dump(by_alias=True, exclude_unset=True) gives it."""
    if isinstance(value, Validated):
        return {
            alias: dump(getattr(value, name))
            for alias, name in value.ALIASES.items()
            if name in value.model_fields_set
        }
    if type(value) is list:
        return [dump(item) for item in value]
    if type(value) is dict:
        return {key: dump(item) for key, item in value.items()}
    return value


def string(value: Any) -> str:
    """A str, exactly (pydantic's lax mode would take more: that is pydantic's to decide)."""
    if type(value) is str:
        return value
    raise Unsure


def integer(value: Any) -> int:
    """An int, exactly (not a bool, not a float, not a numeric string)."""
    if type(value) is int:
        return value
    raise Unsure


def floating(value: Any) -> float:
    """A float, exactly."""
    if type(value) is float:
        return value
    raise Unsure


def boolean(value: Any) -> bool:
    """A bool, exactly."""
    if type(value) is bool:
        return value
    raise Unsure


def anything(value: Any) -> Any:
    """Any value, as it is (pydantic's Any)."""
    return value


def matching(value: str, pattern: "re.Pattern[str]") -> str:
    """A pattern constraint, decided here only for printable ASCII.

    There Python's regexes and pydantic's (Rust's) agree; `$` before a final newline, for one,
    they do not.
    """
    if value.isascii() and value.isprintable() and pattern.search(value):
        return value
    raise Unsure


def checked(check: Any, value: Any) -> Any:
    """A check from the models applied; any failure is for pydantic to report."""
    try:
        return check(value)
    except Exception:
        raise Unsure from None


def model_checked(check: Any, model: object) -> None:
    """A model validator: it returns the model it was given, or raises."""
    if checked(check, model) is not model:
        raise Unsure


def required() -> Any:
    """A required field is missing: pydantic says which."""
    raise Unsure
