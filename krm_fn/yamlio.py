"""YAML in and out with libyaml, resolving scalars the way Kubernetes tools (YAML 1.2) do."""

import re
from typing import Any

import yaml


class InputError(ValueError):
    """Input that is not the YAML or KRM it should be."""


class Loader(yaml.CSafeLoader):
    """libyaml loader that keeps dates, `yes`/`no`/`on`/`off` and `=` as strings, like kyaml."""


class Dumper(yaml.CSafeDumper):
    """libyaml dumper that writes multi-line strings as literal blocks."""


def _yaml12_resolvers() -> dict[Any, Any]:
    bool_re = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
    dropped = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", "tag:yaml.org,2002:bool"}
    resolvers: dict[Any, Any] = {}
    for first, entries in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
        kept = [(tag, regexp) for tag, regexp in entries if tag not in dropped]
        if first in "tTfF":
            kept.insert(0, ("tag:yaml.org,2002:bool", bool_re))
        if kept:
            resolvers[first] = kept
    return resolvers


Loader.yaml_implicit_resolvers = _yaml12_resolvers()


def _represent_str(dumper: Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _represent_str)


def load_all(text: str, source: str = "input") -> list[Any]:
    """Parse a YAML stream into documents, dropping empty ones."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=Loader) if doc is not None]
    except yaml.YAMLError as err:
        raise InputError(f"{source} is not valid YAML: {_one_line(err)}") from None


def load(text: str, source: str = "input") -> Any:
    """Parse a single YAML document (None when empty)."""
    docs = load_all(text, source)
    if len(docs) > 1:
        raise InputError(f"{source} holds {len(docs)} YAML documents; expected one")
    return docs[0] if docs else None


def dump(doc: Any) -> str:
    """Serialise one document."""
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000)


def dump_all(docs: list[Any]) -> str:
    """Serialise documents as one `---`-separated stream."""
    return yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000)


def _one_line(err: yaml.YAMLError) -> str:
    return " ".join(str(err).split())
