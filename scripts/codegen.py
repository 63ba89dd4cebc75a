"""Generate krm_fn/patterns/validators/ from the pydantic config models (`make validators`).

A development tool (it needs ruff), not part of the package.

pydantic is the single source of the config models; importing it and building them costs more
than the rest of a run. So the run path uses validators generated from the models: for every
model a class with the same attributes and a function that validates the plain cases (the exact
types YAML gives: str, int, float, bool, None, lists, mappings), applies the same constraints and
calls the same checks (krm_fn/patterns/checks.py and the patterns' own). Anything else (a value
pydantic would coerce, an unknown field, a field under its Python name, any failed check) raises
`Unsure`, and the caller validates with pydantic, which then reports the errors as always. So the
two agree by construction on what they decide, and tests/test_validators.py proves it on every
example and on generated configs. What the generator does not understand is an error here, never
a guess.
"""

import enum
import importlib
import inspect
import json
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AfterValidator, BaseModel, BeforeValidator, Discriminator, Tag
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from krm_fn.engine.config import spec_model
from krm_fn.kinds import BUNDLE_KIND, KINDS

OUTPUT = "krm_fn/patterns/validators"
RUNTIME = (
    "MISSING",
    "Unsure",
    "Validated",
    "anything",
    "boolean",
    "checked",
    "floating",
    "integer",
    "matching",
    "model_checked",
    "required",
    "string",
)
IMMUTABLE = (str, int, float, bool, type(None), tuple, frozenset)
SHARED_MODELS = "krm_fn.patterns.models.spec"  # their validators are in the shared module
FILLED = {"PatternSpec"}  # shared models whose fields the kinds' Specs inherit
SCALARS = {str: "string", int: "integer", float: "floating", bool: "boolean"}


def stem(function: str) -> str:
    """A validator's name as a word of another's: `_common_list_of_string` -> `list_of_string`."""
    name = function.lstrip("_").removeprefix("common_").removeprefix("validate_")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _model_modules() -> list[types.ModuleType]:
    import pkgutil

    import krm_fn.patterns.models as models

    names = [m.name for m in pkgutil.iter_modules(models.__path__)]
    return [importlib.import_module(f"krm_fn.patterns.models.{name}") for name in sorted(names)]


def _named_in_models() -> tuple[dict[str, str], dict[str, str]]:
    """The models' named annotations (`DnsLabel`) by key, and their named regexes by regex."""
    aliases, regexes = {}, {}
    for module in _model_modules():
        for name, value in vars(module).items():
            if get_origin(value) is Annotated:
                inner, *extra = get_args(value)
                aliases[f"{inner!r}{Generator._flatten(extra)!r}"] = stem(name)
            elif isinstance(value, str) and name.isupper() and value.startswith("^"):
                regexes[value] = name
    return aliases, regexes


class GenerationError(Exception):
    """The models use something the generator does not translate."""


@dataclass
class Generator:
    """Collects generated functions and classes, one per distinct annotation and model."""

    functions: dict[str, str] = field(default_factory=dict)  # name -> source
    by_key: dict[str, str] = field(default_factory=dict)  # annotation key -> function name
    classes: dict[type[BaseModel], str] = field(default_factory=dict)  # model -> class name
    class_sources: list[str] = field(default_factory=list)
    imports: dict[str, set[str]] = field(default_factory=dict)  # module -> names
    typing: set[str] = field(default_factory=lambda: {"Any"})  # what the module takes from typing
    patterns: dict[str, str] = field(default_factory=dict)  # regex -> constant name
    shared: bool = False  # the module for patterns/models/spec.py's models, which others import
    base: "Generator | None" = None  # the shared module's generator: what it has is imported
    # on the shared one: annotations that several kinds' modules validate, generated there once
    hoisted: set[str] = field(default_factory=set)

    def name_of(self, function: Callable[..., Any]) -> str:
        """Import a check or default factory by name; it must live outside pydantic's modules."""
        if function in (list, dict):
            return function.__name__
        module = getattr(function, "__module__", "")
        name = getattr(function, "__qualname__", "")
        in_models = module.startswith("krm_fn.patterns.models")
        if not module.startswith("krm_fn.") or in_models or "." in name:
            raise GenerationError(
                f"{module}.{name}: a check or default factory must be a module-level function in "
                "krm_fn/patterns/checks.py, krm_fn/kube/containers.py or a pattern module (not "
                "in a model)"
            )
        if module in ("krm_fn.patterns.models.spec", "krm_fn.engine.config"):
            raise GenerationError(f"{module}.{name}: move it to krm_fn/patterns/checks.py")
        if getattr(importlib.import_module(module), name, None) is not function:
            raise GenerationError(f"{module}.{name} is not importable under that name")
        self.imports.setdefault(module, set()).add(name)
        return name

    def add(self, key: str, check: str, body: str) -> str:
        """A function for an annotation (shared by every field of that annotation).

        `check` names what it checks (`list_of_string`, `dns_label`): the function is
        `_<check>` (`_common_<check>` in the shared module), with a number only when two
        different annotations would get the same name.
        """
        if key in self.by_key:
            return self.by_key[key]
        if self.base is not None and key in self.base.by_key:  # the fields every kind has
            name = self.base.by_key[key]
            self.imports.setdefault("krm_fn.patterns.validators", set()).add(name)
            self.by_key[key] = name
            return name
        if self.base is not None and key in self.base.hoisted and self._shareable(body):
            name = self.base.add(key, check, body)
            for module, names in self.imports.items():  # the checks the body calls
                used = {n for n in names if re.search(rf"\b{n}\b", body)}
                if module != "krm_fn.patterns.validators" and used:
                    self.base.imports.setdefault(module, set()).update(used)
            self.imports.setdefault("krm_fn.patterns.validators", set()).add(name)
            self.by_key[key] = name
            return name
        common = "common_" if self.shared else ""  # never the name of a kind's own function
        stem = f"_{common}{ALIASES.get(key, check)}"
        name, number = stem, 2
        while name in self.functions:
            name, number = f"{stem}_{number}", number + 1
        self.by_key[key] = name
        self.functions[name] = f"def {name}(value: Any) -> Any:\n{body}"
        return name

    def _shareable(self, body: str) -> bool:
        """Whether a body calls only what the shared module has (so it can move there)."""
        assert self.base is not None
        own = {
            *self.functions,
            *self.patterns.values(),
            *(f"validate_{n}" for n in self.classes.values()),
        }
        called = set(re.findall(r"\b\w+\b", body)) & own
        return all(name in self.base.functions for name in called)

    def local_keys(self) -> set[str]:
        """The annotations this module validates with functions of its own."""
        return {key for key, name in self.by_key.items() if name in self.functions}

    def hint(self, annotation: Any) -> str:
        """The type of a validated field, as the generated class declares it."""
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            return self.hint(args[0])
        if annotation in SCALARS:
            return str(annotation.__name__)
        if annotation is type(None):
            return "None"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            name = self.classes[annotation]
            if annotation.__module__ == "krm_fn.patterns.models.spec" and not self.shared:
                self.imports.setdefault("krm_fn.patterns.validators", set()).add(name)
            return name
        if origin is Literal:
            self.typing.add("Literal")
            return f"Literal[{', '.join(repr(v) for v in args)}]"
        if origin is list:
            return f"list[{self.hint(args[0])}]"
        if origin is dict:
            return f"dict[str, {self.hint(args[1])}]"
        if origin in (Union, types.UnionType):
            return " | ".join(self.hint(a) for a in args)
        return "Any"

    def pattern(self, regex: str) -> str:
        """A module-level compiled regex constant, named as the models name it (`DNS_LABEL`).

        A regex written inline in a model gets `PATTERN_<n>`: give it a constant there instead.
        """
        if regex not in self.patterns:
            self.patterns[regex] = REGEX_NAMES.get(regex, f"PATTERN_{len(self.patterns)}")
        return self.patterns[regex]

    # annotations ----------------------------------------------------------------------------
    def validator(self, annotation: Any, metadata: list[Any] | None = None) -> str:
        """The name of a function validating `annotation` with extra `metadata` (constraints)."""
        metadata = list(metadata or [])
        origin = get_origin(annotation)
        if origin is Annotated:
            inner, *extra = get_args(annotation)
            return self.validator(inner, [*self._flatten(extra), *metadata])
        if metadata:
            return self._constrained(annotation, metadata)
        if annotation in SCALARS:
            return SCALARS[annotation]
        if annotation is Any:
            return "anything"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation)
        if origin is Literal:
            return self._literal(annotation)
        if origin is list:
            (item,) = get_args(annotation)
            element = self.validator(item)
            body = (
                "    if type(value) is not list:\n        raise Unsure\n"
                f"    return [{element}(item) for item in value]\n"
            )
            return self.add(repr(annotation), f"list_of_{stem(element)}", body)
        if origin is dict:
            key, item = get_args(annotation)
            if key is not str:
                raise GenerationError(f"{annotation}: mapping keys must be str")
            element = self.validator(item)
            body = (
                "    if type(value) is not dict:\n        raise Unsure\n"
                f"    return {{string(key): {element}(item) for key, item in value.items()}}\n"
            )
            return self.add(repr(annotation), f"dict_of_{stem(element)}", body)
        if origin in (Union, types.UnionType):
            return self._union(annotation)
        raise GenerationError(f"{annotation!r}: not a type the generator translates")

    @staticmethod
    def _flatten(metadata: list[Any]) -> list[Any]:
        flat = []
        for item in metadata:
            if isinstance(item, FieldInfo):
                flat += item.metadata
            else:
                flat.append(item)
        return flat

    def _constrained(self, annotation: Any, metadata: list[Any]) -> str:
        discriminator = [m for m in metadata if isinstance(m, Discriminator)]
        if discriminator:
            return self._tagged(annotation, discriminator[0], metadata)
        args = get_args(annotation)
        if get_origin(annotation) in (Union, types.UnionType) and type(None) in args:
            inner: Any = Union[tuple(a for a in args if a is not type(None))]  # noqa: UP007
            checked = self._constrained(inner, metadata)
            body = f"    return None if value is None else {checked}(value)\n"
            return self.add(f"{annotation!r}{metadata!r}", f"optional_{stem(checked)}", body)
        before: list[str] = []
        after: list[str] = []
        for item in metadata:
            if isinstance(item, BeforeValidator):
                if after:
                    raise GenerationError(f"{annotation}: a BeforeValidator after other metadata")
                before.append(f"    value = checked({self.name_of(item.func)}, value)\n")
            elif isinstance(item, AfterValidator):
                after.append(f"    value = checked({self.name_of(item.func)}, value)\n")
            elif isinstance(item, annotated_types.MinLen):
                after.append(f"    if len(value) < {item.min_length}:\n        raise Unsure\n")
            elif isinstance(item, annotated_types.MaxLen):
                after.append(f"    if len(value) > {item.max_length}:\n        raise Unsure\n")
            elif isinstance(item, annotated_types.Ge):
                after.append(f"    if not value >= {item.ge!r}:\n        raise Unsure\n")
            elif isinstance(item, annotated_types.Le):
                after.append(f"    if not value <= {item.le!r}:\n        raise Unsure\n")
            elif type(item).__name__ == "_PydanticGeneralMetadata" and set(vars(item)) == {
                "pattern"
            }:
                if annotation is not str:
                    raise GenerationError(f"{annotation}: a pattern on a non-string")
                after.append(f"    value = matching(value, {self.pattern(item.pattern)})\n")
            else:
                raise GenerationError(f"{annotation}: metadata {item!r} is not translated")
        base = self.validator(annotation)
        body = "".join(before) + f"    value = {base}(value)\n" + "".join(after)
        words = [stem(base), *(self._constraint(item) for item in metadata)]
        if len("_".join(words)) > 48 and len(words) > 2:  # the checks alone say enough
            words = words[1:]
        return self.add(f"{annotation!r}{metadata!r}", "_".join(words), body + "    return value\n")

    def _constraint(self, item: Any) -> str:
        """A constraint in a function's name: the check's own name, or what it bounds."""
        if isinstance(item, (BeforeValidator, AfterValidator)):
            return str(item.func.__name__).lstrip("_")
        bounds = {
            annotated_types.MinLen: ("min_length", "min"),
            annotated_types.MaxLen: ("max_length", "max"),
            annotated_types.Ge: ("ge", "at_least"),
            annotated_types.Le: ("le", "at_most"),
        }
        for kind, (attribute, word) in bounds.items():
            if isinstance(item, kind):
                return f"{word}_{getattr(item, attribute)}".replace(".", "_").replace("-", "minus")
        return f"matching_{self.pattern(item.pattern).lower()}"

    def _literal(self, annotation: Any) -> str:
        values = get_args(annotation)
        if not all(type(v) in (str, int, bool) for v in values):
            raise GenerationError(f"{annotation}: literals must be str, int or bool")
        allowed = ", ".join(f"({type(v).__name__}, {v!r})" for v in values)
        body = (
            f"    if (type(value), value) in ({allowed},):\n"
            "        return value\n    raise Unsure\n"
        )
        named = "_or_".join(re.sub(r"\W+", "_", str(v)).strip("_").lower() for v in values)
        return self.add(
            repr(annotation), f"one_of_{named}" if len(named) <= 40 else "literal", body
        )

    def _union(self, annotation: Any) -> str:
        args = get_args(annotation)
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:  # Optional[X]
            inner = self.validator(members[0])
            body = f"    return None if value is None else {inner}(value)\n"
            return self.add(repr(annotation), f"optional_{stem(inner)}", body)
        if type(None) in args or not all(m in SCALARS for m in members):
            raise GenerationError(f"{annotation}: only unions of str, int, float, bool")
        types_ = ", ".join(m.__name__ for m in members)
        body = f"    if type(value) in ({types_},):\n        return value\n    raise Unsure\n"
        return self.add(repr(annotation), "_or_".join(SCALARS[m] for m in members), body)

    def _tagged(self, annotation: Any, discriminator: Discriminator, metadata: list[Any]) -> str:
        if len(metadata) != 1 or not callable(discriminator.discriminator):
            raise GenerationError(f"{annotation}: only a callable Discriminator, alone")
        tag_of = self.name_of(discriminator.discriminator)
        lines = [f"    tag = {tag_of}(value)\n"]
        for member in get_args(annotation):
            inner, *extra = get_args(member)
            tags = [m.tag for m in extra if isinstance(m, Tag)]
            if get_origin(member) is not Annotated or len(tags) != 1 or len(extra) != 1:
                raise GenerationError(f"{annotation}: every member needs one Tag and nothing else")
            check = self.validator(inner)
            lines.append(f"    if tag == {tags[0]!r}:\n        return {check}(value)\n")
        body = "".join(lines) + "    raise Unsure\n"
        return self.add(repr(annotation), f"by_{tag_of.lstrip('_')}", body)

    # models ---------------------------------------------------------------------------------
    def model(self, model: type[BaseModel]) -> str:
        """The function validating a model (its class and function generated once).

        A kind's Spec inherits the fields of PatternSpec: its class subclasses PatternSpec's
        generated class, and `fill_PatternSpec` sets those fields, generated once.
        """
        if model in self.classes:
            return f"validate_{self.classes[model]}"
        name = self._class_name(model)
        if model.__module__ == SHARED_MODELS and not self.shared:  # generated in the shared one
            self.imports.setdefault("krm_fn.patterns.validators", set()).add(f"validate_{name}")
            self.classes[model] = name
            return f"validate_{name}"
        self.classes[model] = name
        config = model.model_config
        if config.get("extra") != "forbid" or config.get("strict"):
            raise GenerationError(f"{model.__name__}: models forbid extra fields, in lax mode")
        decorators = model.__pydantic_decorators__
        if decorators.field_validators or decorators.field_serializers or decorators.validators:
            raise GenerationError(
                f"{model.__name__}: field validators must be Annotated checks (see "
                "krm_fn/patterns/models/spec.py)"
            )
        parent = self._inherited(model)
        mixins = [
            self.name_of_class(base)
            for base in model.__mro__
            if base.__module__.startswith("krm_fn.")
            and not issubclass(base, BaseModel)
            and base is not object
            and (parent is None or base not in parent.__mro__)
        ]
        self._no_methods(model)
        fields = model.model_fields
        own = {n: f for n, f in fields.items() if parent is None or n not in parent.model_fields}
        position = len(self.class_sources)
        self.class_sources.append("")  # written once its fields' types are known
        lines = [
            f"def validate_{name}(value: Any) -> {name}:\n",
            f'    """A {model.__name__} of {model.__module__}."""\n',
            f"    if type(value) is not dict or not value.keys() <= {name}.ALIASES.keys():\n",
            "        raise Unsure\n",
            f"    result: {name} = {name}.__new__({name})\n",
        ]
        if parent is not None:
            parent_name = self._class_name(parent)
            self.imports.setdefault("krm_fn.patterns.validators", set()).update(
                {parent_name, f"fill_{parent_name}"}
            )
            lines.append(f"    fill_{parent_name}(result, value)\n")
        elif name in FILLED:  # its fields are set by a function of their own, which kinds share
            lines.append(f"    fill_{name}(result, value)\n")
            self.functions[f"fill_{name}"] = (
                f"def fill_{name}(result: {name}, value: dict[str, Any]) -> None:\n"
                f'    """Set the fields of {model.__name__} in `result`."""\n'
                + "".join(self._field_lines(fields))
            )
        if name not in FILLED:
            lines += self._field_lines(own)
        lines.append(
            f"    result.model_fields_set = frozenset(map({name}.ALIASES.__getitem__, value))\n"
        )
        if parent is None:
            bases = ", ".join(["Validated", *mixins])
            field_names, aliases = (
                repr(tuple(fields)),
                repr({f.alias or n: n for n, f in fields.items()}),
            )
        else:
            bases = ", ".join([parent_name, *mixins])
            field_names = f"(*{parent_name}.FIELDS, {', '.join(repr(n) for n in own)},)"
            own_aliases = ", ".join(f"{f.alias or n!r}: {n!r}" for n, f in own.items())
            aliases = f"{{**{parent_name}.ALIASES, {own_aliases}}}"
        self.class_sources[position] = (
            f"class {name}({bases}):\n"
            f'    """{model.__name__} of {model.__module__}, validated."""\n\n'
            f"    __slots__ = {tuple(sorted(own))!r}\n"
            f"    FIELDS: tuple[str, ...] = {field_names}\n"
            f"    ALIASES = {aliases}\n"
            + "".join(f"    {n}: {self.hint(info.annotation)}\n" for n, info in own.items())
        )
        for validator in decorators.model_validators.values():
            if validator.info.mode != "after":
                raise GenerationError(f"{model.__name__}: only after model validators")
            check = self.name_of(validator.func)
            lines.append(f"    model_checked({check}, result)\n")
        lines.append("    return result\n")
        self.functions[f"validate_{name}"] = "".join(lines)
        return f"validate_{name}"

    def _field_lines(self, fields: dict[str, FieldInfo]) -> list[str]:
        """The statements that validate `fields` of `value` into `result`."""
        lines = []
        for python_name, info in fields.items():
            alias = info.alias or python_name
            check = self.validator(info.annotation, info.metadata)
            lines.append(f"    item = value.get({alias!r}, MISSING)\n")
            default = self._default(info, check)
            lines.append(
                f"    result.{python_name} = {default} if item is MISSING else {check}(item)\n"
            )
        return lines

    @staticmethod
    def _inherited(model: type[BaseModel]) -> type[BaseModel] | None:
        """The shared model whose fields `model` inherits unchanged, first, if there is one."""
        for base in model.__mro__[1:]:
            if not issubclass(base, BaseModel) or base.__module__ != SHARED_MODELS:
                continue
            if base.__name__ not in FILLED:
                continue
            inherited = list(base.model_fields)
            fields = model.model_fields
            same = all(repr(fields[n]) == repr(base.model_fields[n]) for n in inherited)
            if list(fields)[: len(inherited)] == inherited and same:
                return base
        return None

    def _default(self, info: FieldInfo, check: str) -> str:
        if info.default_factory is not None:
            factory = info.default_factory
            if isinstance(factory, type) and issubclass(factory, BaseModel):
                made = f"{self.model(factory)}({{}})"
            else:
                made = f"{self.name_of(factory)}()"
            return f"{check}({made})" if info.validate_default else made
        if info.default is PydanticUndefined:
            return "required()"
        if not isinstance(info.default, IMMUTABLE) or isinstance(info.default, enum.Enum):
            raise GenerationError(f"{info}: a mutable default; use default_factory")
        return f"{check}({info.default!r})" if info.validate_default else repr(info.default)

    def _class_name(self, model: type[BaseModel]) -> str:
        module = model.__module__.rsplit(".", 1)[-1]
        prefix = "".join(part.capitalize() for part in module.split("_"))
        name = model.__name__ if module == "spec" else f"{prefix}{model.__name__}"
        return name.replace("SpecSpec", "Spec")

    def name_of_class(self, cls: type) -> str:
        """A mixin class of a model (methods the validated objects need too)."""
        module = cls.__module__
        if module.startswith("krm_fn.patterns.models"):
            raise GenerationError(
                f"{cls.__qualname__}: a mixin must live in krm_fn/patterns/checks.py"
            )
        self.imports.setdefault(module, set()).add(cls.__name__)
        return cls.__name__

    @staticmethod
    def _no_methods(model: type[BaseModel]) -> None:
        """Methods on a model would be missing from its validated objects: keep them in mixins."""
        for base in model.__mro__:
            if not issubclass(base, BaseModel) or base.__module__.startswith("pydantic"):
                continue
            validators = set(base.__pydantic_decorators__.model_validators)
            for key, value in vars(base).items():
                if key.startswith("__") or key in ("model_config", "model_fields", *validators):
                    continue
                if inspect.isfunction(value) or isinstance(value, property | classmethod):
                    raise GenerationError(
                        f"{base.__name__}.{key}: methods of models go in a mixin "
                        "(krm_fn/patterns/checks.py)"
                    )

    # the module -----------------------------------------------------------------------------
    def _used(self, roots: str) -> set[str]:
        """The generated functions the roots call, directly or through one another.

        The shared module keeps all of its own: the kinds' modules import them.
        """
        if self.shared:
            return set(self.functions)
        used: set[str] = set()
        pending = [roots]
        while pending:
            text = pending.pop()
            for name in self.functions:
                if name not in used and re.search(rf"\b{name}\b", text):
                    used.add(name)
                    pending.append(self.functions[name])
        return used

    def module(self, doc: str, tail: str = "") -> str:
        """The source of one module of krm_fn/patterns/validators."""
        classes = "\n\n".join(source.rstrip() + "\n" for source in self.class_sources)
        used = self._used(classes + tail)
        functions = "\n\n".join(
            self.functions[n].rstrip() + "\n" for n in self.functions if n in used
        )
        patterns = "".join(
            f"{n} = re.compile({regex!r})\n"
            for regex, n in self.patterns.items()
            if re.search(rf"\b{n}\b", functions + classes)
        )
        body = f"{patterns}\n\n{classes}\n\n{functions}{tail}"
        runtime = {n for n in RUNTIME if re.search(rf"\b{n}\b", body)}
        imports = {
            module: {n for n in names if re.search(rf"\b{n}\b", body)}
            for module, names in self.imports.items()
        }
        imports["krm_fn.patterns.validated"] = runtime
        lines = [
            f"from {module} import {', '.join(sorted(names))}\n"
            for module, names in sorted(imports.items())
            if names
        ]
        header = (
            f'"""{doc}\n\nGenerated from the config models by `make validators` '
            "(scripts/codegen.py); do not edit:\na test fails when this is not what the models "
            'generate.\n"""\n\n'
            + "from __future__ import annotations\n\n"
            + ("import re\n" if self.patterns else "")
            + f"from typing import {', '.join(sorted(self.typing))}\n\n"
            + "".join(lines)
        )
        return f"{header}\n\n{body}"


def generate() -> dict[str, str]:
    """The modules of krm_fn/patterns/validators (file name -> source) for the models now."""
    from collections import Counter

    _, first = _generators(set())
    uses = Counter(key for generator in first.values() for key in generator.local_keys())
    shared, generators = _generators({key for key, count in uses.items() if count > 1})
    files: dict[str, str] = {}
    modules: dict[str, str] = {}
    for kind, generator in generators.items():
        model = spec_model(kind)
        module = model.__module__.rsplit(".", 1)[-1]
        function = f"validate_{generator.classes[model]}"
        files[f"{module}.py"] = generator.module(
            f"Validators of the {kind} config (krm_fn/patterns/models/{module}.py).",
            f"\n\nvalidate = {function}\n",
        )
        modules[kind] = f"krm_fn.patterns.validators.{module}"
    table = "".join(f"    {kind!r}: {module!r},\n" for kind, module in modules.items())
    files["__init__.py"] = shared.module(
        "Validators of the config models, one module per kind, and of the fields they share.",
        "\n\n# the module of each kind (imported when a config uses the kind)\n"
        f"MODULES = {{\n{table}}}\n\n\n"
        "def validate(kind: str, value: Any) -> Any:\n"
        '    """The validated spec of a kind, or Unsure: then pydantic decides."""\n'
        "    import importlib\n\n"
        "    return importlib.import_module(MODULES[kind]).validate(value)\n",
    )
    assert BUNDLE_KIND in modules
    return files


def _generators(hoisted: set[str]) -> tuple[Generator, dict[str, Generator]]:
    """The shared module's generator and each kind's, with `hoisted` generated in the shared one.

    The shared module has the models of krm_fn/patterns/models/spec.py and what several kinds
    validate alike.
    """
    from krm_fn.patterns.models import spec
    from krm_fn.patterns.models.spec import PatternSpec

    shared = Generator(shared=True, hoisted=hoisted)
    models = [v for v in vars(spec).values() if isinstance(v, type) and issubclass(v, BaseModel)]
    for model in models:  # every model of krm_fn/patterns/models/spec.py, PatternSpec last
        if model.__module__ == spec.__name__ and model is not PatternSpec:
            shared.model(model)
    shared.model(PatternSpec)
    generators = {}
    for kind in KINDS:
        generators[kind] = Generator(base=shared)
        generators[kind].model(spec_model(kind))
    return shared, generators


def formatted(files: dict[str, str]) -> dict[str, str]:
    """The files as `ruff format` writes them (the generated code is checked like the rest)."""
    import subprocess
    import sys

    def ruff(text: str, name: str, *command: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", f"{OUTPUT}/{name}", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    return {
        name: ruff(ruff(text, name, "check", "--fix", "--select", "I", "--quiet"), name, "format")
        for name, text in files.items()
    }


ALIASES, REGEX_NAMES = _named_in_models()
RECORD_KINDS = "krm_fn/editing/record_kinds.py"


def record_kinds() -> str:
    """krm_fn/editing/record_kinds.py: what each kind may replace, from the patterns' FACTS.

    The editing layer checks every record against it and cannot import the patterns (they are
    above it, and a run imports only the kinds its configs use), so the facts come down as code.
    """
    from krm_fn.engine.config import pattern_module
    from krm_fn.kinds import PATTERNS

    facts = {kind: pattern_module(kind).FACTS for kind in PATTERNS}

    def table(name: str, of: Callable[[Any], frozenset[str]]) -> str:
        rows = "".join(
            f"    {kind!r}: frozenset({sorted(of(fact))!r}),\n"
            for kind, fact in facts.items()
            if of(fact)
        )
        return f"{name}: dict[str, frozenset[str]] = {{\n{rows}}}\n"

    record_fields = sorted({f for fact in facts.values() for f in fact.record_fields})
    from krm_fn.editing.record import ENTRY_FIELDS

    unknown = set(record_fields) - set(ENTRY_FIELDS) | {"fieldsWas", "podFieldsWas"} & set(
        record_fields
    )
    if unknown:
        raise GenerationError(
            f"FACTS.record_fields: {sorted(unknown)} are no record fields of "
            "their own (fieldsWas and podFieldsWas follow replaces_*_fields)"
        )
    holders = {
        field: sorted(k for k, f in facts.items() if field in f.record_fields)
        for field in record_fields
    }
    kinds_for = "".join(
        f"    {field!r}: frozenset({kinds!r}),\n" for field, kinds in holders.items()
    )
    return (
        '"""What each kind may replace of what the user wrote, from the patterns\' FACTS.\n\n'
        "Generated by scripts/codegen.py (make validators); do not edit.\n"
        '"""\n\n'
        + table("CONTAINER_FIELDS_REPLACED", lambda f: f.replaces_container_fields)
        + table("POD_FIELDS_REPLACED", lambda f: f.replaces_pod_fields)
        + "# which kinds a record entry may hold each field for\n"
        + "KINDS_FOR: dict[str, frozenset[str]] = {\n"
        + '    "fieldsWas": frozenset(CONTAINER_FIELDS_REPLACED),\n'
        + '    "podFieldsWas": frozenset(POD_FIELDS_REPLACED),\n'
        + kinds_for
        + "}\n"
    )


def main() -> None:
    """Write krm_fn/patterns/validators/ and the chart's values.schema.json (`make validators`).

    Modules no kind generates any more are removed.
    """
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    directory = root / OUTPUT
    directory.mkdir(exist_ok=True)
    files = formatted(generate())
    for stale in set(p.name for p in directory.glob("*.py")) - set(files):
        (directory / stale).unlink()
    for name, text in files.items():
        (directory / name).write_text(text)
    print(f"wrote {len(files)} modules into {OUTPUT}/")
    (root / RECORD_KINDS).write_text(
        formatted({"record_kinds.py": record_kinds()})["record_kinds.py"]
    )
    print(f"wrote {RECORD_KINDS}")
    from krm_fn.reference import CHART_SCHEMA, chart_values_schema

    chart_schema = root / CHART_SCHEMA
    chart_schema.write_text(json.dumps(chart_values_schema(), indent=2) + "\n")
    print(f"wrote {CHART_SCHEMA}")


if __name__ == "__main__":
    main()
