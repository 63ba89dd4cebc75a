"""Turn a functionConfig into pattern instances, or into error results naming each bad field."""

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, get_args

from krm_fn.kinds import API_VERSION, BUNDLE_EXAMPLE, BUNDLE_KIND, KINDS, PATTERNS
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result
from krm_fn.patterns import Facts, Inject, Pattern
from krm_fn.patterns.checks import UNION_TAGS

if TYPE_CHECKING:
    from pydantic import BaseModel

    from krm_fn.patterns.models.spec import PatternSpec

CONFIGMAP_KEYS = ("kind", "name", "spec")


class ConfigError(Exception):
    """The config cannot be used; `results` says why, one error per problem."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__("; ".join(r.message for r in results))
        self.results = results


@dataclass
class Instance:
    """One pattern to apply: its kind, its name, its validated spec and its transform."""

    kind: str
    name: str
    spec: Any  # the validated spec: its generated twin (patterns/validators/) or pydantic model
    inject: Inject

    @property
    def key(self) -> str:
        """The key of this instance in the injection record annotation."""
        return f"{self.kind}/{self.name}"


def pattern_module(kind: str) -> Pattern:
    """The module that implements a pattern kind."""
    return cast(Pattern, importlib.import_module(PATTERNS[kind]))


def facts(kind: str) -> Facts:
    """The facts a pattern kind's module declares."""
    return pattern_module(kind).FACTS


def example(kind: str) -> str:
    """The folder of kustomization-examples/ that shows a kind (PodPatterns included)."""
    return BUNDLE_EXAMPLE if kind == BUNDLE_KIND else facts(kind).example


def never_at_admission() -> set[str]:
    """The kinds that no config can apply at admission."""
    return {kind for kind in PATTERNS if facts(kind).never_at_admission}


def spec_model(kind: str) -> "type[PatternSpec]":
    """The pydantic model of a kind's `spec` (PodPatterns included)."""
    if kind == BUNDLE_KIND:
        from krm_fn.patterns.models.bundle import BundleSpec

        return BundleSpec
    module = importlib.import_module(PATTERNS[kind].replace(".patterns.", ".patterns.models."))
    return cast("type[PatternSpec]", module.Spec)


def expected_config() -> str:
    """What a config should look like, for 'no config' and 'not a config' errors."""
    return (
        f"expected a functionConfig with apiVersion: {API_VERSION} and kind one of "
        f"{', '.join(KINDS)}, or a ConfigMap whose data has `kind` and `spec` (YAML text)"
    )


def load_config(function_config: Any, raise_internal_errors: bool = False) -> list[Instance]:
    """Validate a functionConfig; raise ConfigError with every problem found.

    `raise_internal_errors`: a bug in the generated validators raises, instead of leaving the
    config to pydantic (KRM_FN_DEBUG=1, and the tests).
    """
    source = function_config if isinstance(function_config, dict) else {}
    config = _from_configmap(source) if source.get("kind") == "ConfigMap" else source
    if not config:
        raise ConfigError([Result(f"no config: {expected_config()}", "error")])
    errors: list[Result] = []

    def fail(message: str, field: str) -> None:
        errors.append(Result(message, "error", source or None, field))

    if config.get("apiVersion") != API_VERSION:
        fail(
            f'apiVersion "{config.get("apiVersion")}" is not {API_VERSION}; {expected_config()}',
            "apiVersion",
        )
    unknown = sorted(str(key) for key in set(config) - {"apiVersion", "kind", "metadata", "spec"})
    for key in unknown:
        fail("unknown field: a config has apiVersion, kind, metadata and spec", key)
    kind = config.get("kind")
    if kind not in KINDS:
        fail(
            f'unknown kind "{kind}"{_did_you_mean(kind, KINDS)}; known kinds: {", ".join(KINDS)}',
            "kind",
        )
    spec = config.get("spec", {})
    if not isinstance(spec, dict):
        fail("spec must be a mapping", "spec")
    metadata = config.get("metadata") or {}
    if not isinstance(metadata, dict):
        fail("metadata must be a mapping", "metadata")
    if kind not in KINDS or not isinstance(spec, dict) or not isinstance(metadata, dict):
        raise ConfigError(errors)
    for field in non_finite(spec, "spec"):
        fail(
            "not a finite number: .inf, .nan and numbers beyond a double's range have no JSON "
            "form (what the API server reads)",
            field,
        )
    name = str(metadata.get("name") or str(kind).lower())
    if kind == BUNDLE_KIND:
        instances = _bundle(spec, name, fail, raise_internal_errors)
    else:
        instance = _instance(str(kind), name, spec, "spec", fail, raise_internal_errors)
        instances = [instance] if instance else []
    if errors:
        raise ConfigError(errors)
    return instances


def non_finite(value: Any, path: str) -> list[str]:
    """The paths of every infinity and NaN in a config's value (YAML has them, JSON has not)."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite(v, f"{path}[{i}]")]
    return []


def as_config(document: Any) -> Any:
    """A ConfigMap-form config as the config it stands for; anything else as it is.

    The fields of a ConfigMap-form config's results point into the config it stands for.
    """
    if not isinstance(document, dict) or document.get("kind") != "ConfigMap":
        return document
    try:
        return _from_configmap(document)
    except ConfigError:
        return document


def _from_configmap(configmap: dict[str, Any]) -> dict[str, Any]:
    data = configmap.get("data") or {}
    if not data:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([Result("data must be a mapping", "error", configmap, "data")])
    unknown = sorted(str(key) for key in set(data) - set(CONFIGMAP_KEYS))
    errors = [
        Result(
            f"unknown key; a ConfigMap config has data keys {', '.join(CONFIGMAP_KEYS)}",
            "error",
            configmap,
            f"data.{key}",
        )
        for key in unknown
    ]
    try:
        spec = yamlio.load(str(data.get("spec", "")), "data.spec") or {}
    except yamlio.InputError as err:
        errors.append(Result(str(err), "error", configmap, "data.spec"))
    if errors:
        raise ConfigError(errors)
    metadata = {"name": data["name"]} if data.get("name") else {}
    return {"apiVersion": API_VERSION, "kind": data.get("kind"), "metadata": metadata, "spec": spec}


def validate_plain(kind: str, spec: Any, raise_internal_errors: bool = False) -> Any:
    """The generated validators' answer, or None where pydantic has to decide."""
    from krm_fn.patterns import validators
    from krm_fn.patterns.validated import Unsure

    try:
        return validators.validate(kind, spec)
    except Unsure:
        return None
    except Exception:  # a bug in the generated code: pydantic still gives the right answer
        if raise_internal_errors:
            raise
        return None


def _instance(
    kind: str,
    name: str,
    spec: dict[str, Any],
    where: str,
    fail: Callable[[str, str], None],
    raise_internal_errors: bool,
) -> Instance | None:
    model = _validated(kind, spec, where, fail, raise_internal_errors)
    return None if model is None else Instance(kind, name, model, pattern_module(kind).inject)


def _validated(
    kind: str,
    spec: Any,
    where: str,
    fail: Callable[[str, str], None],
    raise_internal_errors: bool,
) -> Any:
    """The validated spec, or None with its errors reported through `fail`.

    The generated validators decide the plain cases; pydantic decides what they leave.
    """
    fast = validate_plain(kind, spec, raise_internal_errors)
    if fast is not None:
        return fast
    from pydantic import ValidationError

    try:
        return spec_model(kind).model_validate(spec)
    except ValidationError as err:
        for problem in err.errors(include_url=False):
            fail(_message(problem, spec_model(kind), kind), where + _loc(problem["loc"]))
        return None


def _bundle(
    spec: dict[str, Any], name: str, fail: Callable[[str, str], None], raise_internal_errors: bool
) -> list[Instance]:
    from krm_fn.patterns.validated import dump

    bundle = _validated(BUNDLE_KIND, spec, "spec", fail, raise_internal_errors)
    if bundle is None:
        return []
    if hasattr(bundle, "model_dump"):  # validated by pydantic
        defaults = bundle.model_dump(by_alias=True, exclude_unset=True, exclude={"patterns"})
    else:
        defaults = {k: v for k, v in dump(bundle).items() if k != "patterns"}
    instances, keys = [], set()
    for index, entry in enumerate(bundle.patterns):
        where = f"spec.patterns[{index}]"
        if entry.kind not in PATTERNS:
            fail(
                f'unknown kind "{entry.kind}"{_did_you_mean(entry.kind, PATTERNS)}; '
                f"known pattern kinds: {', '.join(PATTERNS)}",
                f"{where}.kind",
            )
            continue
        item_name = f"{name}.{entry.name or entry.kind.lower()}"
        if (entry.kind, item_name) in keys:
            fail(
                f'two {entry.kind} patterns are both named "{item_name}": give each a `name`',
                f"{where}.name",
            )
        keys.add((entry.kind, item_name))
        merged = {**defaults, **entry.spec}
        instance = _instance(
            entry.kind, item_name, merged, f"{where}.spec", fail, raise_internal_errors
        )
        if instance:
            instances.append(instance)
    return instances


def _did_you_mean(word: Any, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _loc(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc if p not in UNION_TAGS)


def _message(problem: Any, model: "type[BaseModel]", kind: str) -> str:
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "too_short" and not problem.get("input"):
        least = (problem.get("ctx") or {}).get("min_length", 1)
        path = ".".join(
            str(p) for p in problem["loc"] if isinstance(p, str) and p not in UNION_TAGS
        )
        items = "one item" if least == 1 else f"{least} items"
        return f"is empty: fill in at least {items} (krm-fn explain {kind}.{path} says how)"
    if problem["type"] == "extra_forbidden":
        known = _fields_at(model, problem["loc"][:-1])
        return f"unknown field; known fields here: {', '.join(known)}" if known else "unknown field"
    return message


def _fields_at(model: "type[BaseModel]", loc: tuple[int | str, ...]) -> list[str]:
    """The field names (aliases) of the model found at `loc`, if there is one."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or part in UNION_TAGS:
            continue
        fields = {f.alias or n: f for n, f in current.model_fields.items()}
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    return sorted(f.alias or n for n, f in current.model_fields.items())


def _model_in(annotation: Any) -> "type[BaseModel] | None":
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
