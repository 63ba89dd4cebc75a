"""Documentation and JSON Schema of each kind, generated from the pattern modules and models."""

import inspect
import json
from typing import Any

from krm_fn import __version__
from krm_fn.config import API_VERSION, BUNDLE_KIND, KINDS, pattern_module
from krm_fn.config import spec_model as config_spec_model

IMAGE = f"localhost/krm-fn:{__version__}"  # what `make image` builds; the examples' Kptfiles run it
# Where the release workflow pushes the image (.github/workflows/release.yml); nothing is
# published there yet, so the repository's files name the locally built IMAGE.
PUBLISHED_IMAGE = f"ghcr.io/krm-fn/krm-fn:{__version__}"
EXAMPLES = {
    "Sidecar": "sidecar-log-shipper",
    "InitContainer": "init-container-ordering",
    "PodDefaults": "pod-defaults-webhook-label",
    "Ambassador": "elasticsearch-ambassador-tls",
    "Adapter": "elasticsearch-adapter-metrics",
    "LogTailer": "elasticsearch-log-tailer",
    "Sysctl": "elasticsearch-sysctl",
    "VaultSecrets": "vault-secrets",
    "GitClone": "git-clone-httpd",
    "Download": "download-model-s3",
    "Migration": "migration-before-app",
    "WaitFor": "wait-for-database",
    "GracefulShutdown": "nginx-graceful-shutdown",
    "ConfigReloader": "config-reload-signal",
    "LocalCache": "redis-local-cache",
    "PodResources": "pod-resources-budget",
    BUNDLE_KIND: "all-workload-kinds",
}


def spec_model(kind: str) -> Any:
    """The pydantic model of a kind's `spec`."""
    return config_spec_model(kind)


def json_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of a whole config document of this kind (for editors and the catalog)."""
    spec = spec_model(kind).model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    definitions = spec.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{API_VERSION} {kind}",
        "type": "object",
        "required": ["apiVersion", "kind", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": kind},
            "metadata": {
                "type": "object",
                "description": "Name (the key of its injection record).",
            },
            "spec": spec,
        },
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "enum" in prop:
        return " \\| ".join(json.dumps(v) for v in prop["enum"])
    for key in ("oneOf", "anyOf"):
        if key in prop:
            return " \\| ".join(_type(p) for p in prop[key] if p.get("type") != "null")
    kind = prop.get("type")
    if kind == "array":
        item = prop.get("items", {})
        return f"list of {_type(item) if item.get('type') != 'object' else 'objects'}"
    if kind == "object":
        extra = prop.get("additionalProperties")
        return f"map of {_type(extra)}" if isinstance(extra, dict) and extra else "object"
    return str(kind or "any")


def _table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        default = "required" if name in required else json.dumps(prop.get("default", None))
        default = "" if default == "null" else default
        description = str(prop.get("description", "")).replace("|", "\\|")
        lines.append(f"| `{name}` | {_type(prop)} | {default} | {description} |")
    return lines


def explain(kind: str) -> str:
    """Markdown documentation of a kind: what it does, its fields, and its example."""
    model = spec_model(kind)
    doc: str | None
    if kind == BUNDLE_KIND:
        from krm_fn.models import bundle

        doc = bundle.__doc__
    else:
        doc = pattern_module(kind).__doc__
    schema = model.model_json_schema(by_alias=True)
    lines = [f"# {kind}", "", inspect.cleandoc(doc or ""), ""]
    lines += [f"`apiVersion: {API_VERSION}`, `kind: {kind}`, fields under `spec`:", ""]
    lines += _table(schema)
    for name, definition in schema.get("$defs", {}).items():
        lines += ["", f"### {name}", "", inspect.cleandoc(definition.get("description", "")), ""]
        lines += _table(definition)
    example = EXAMPLES.get(kind)
    if example:
        lines += [
            "",
            f"Example: [{example}](../../kustomization-examples/{example}/).",
        ]
    return "\n".join(lines) + "\n"


def known_kind(kind: str) -> str:
    """The kind, or ValueError listing the known ones."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    return kind


def topic(text: str) -> tuple[str, list[str]]:
    """A kind and a field path from `kind` or `Kind.field.path`, in any letter case.

    ValueError names what is not known and what is.
    """
    name, *path = text.split(".")
    kinds = {k.lower(): k for k in KINDS}
    kind = kinds.get(name.lower())
    if kind is None:
        raise ValueError(f"unknown kind {name!r}; known kinds: {', '.join(KINDS)}")
    schema = spec_model(kind).model_json_schema(by_alias=True)
    resolved: list[str] = []
    node = schema
    for part in path:
        properties = _properties(node, schema)
        match = next((k for k in properties if k.lower() == part.lower()), None)
        if match is None:
            where = ".".join([kind, *resolved])
            raise ValueError(f"{where} has no field {part!r}; it has: {', '.join(properties)}")
        resolved.append(match)
        node = properties[match]
    return kind, resolved


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """A schema node with `$ref`, `anyOf` (optional) and list items looked through."""
    while True:
        if "$ref" in node:
            node = root.get("$defs", {})[str(node["$ref"]).rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            options = [n for n in node["anyOf"] if n.get("type") != "null"]
            if len(options) != 1:
                return node
            node = options[0]
        elif node.get("type") == "array" and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            return node


def _properties(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = _resolve(node, root).get("properties", {})
    return properties


def explain_text(kind: str, path: list[str]) -> str:
    """A kind or one of its fields, for a terminal: wrapped text, fields as an indented list."""
    import textwrap

    width = 96
    schema = spec_model(kind).model_json_schema(by_alias=True)
    node = schema
    for part in path:
        node = _properties(node, schema)[part]
    title = ".".join([kind, *path])
    lines = [f"{title} ({API_VERSION})", ""]
    if path:
        lines.append(f"TYPE: {_type(node).replace(chr(92), '')}")
        if "default" in node:
            lines.append(f"DEFAULT: {json.dumps(node['default'])}")
        lines += ["", *textwrap.wrap(_plain(str(node.get("description", ""))), width), ""]
    else:
        doc = pattern_module(kind).__doc__ if kind != BUNDLE_KIND else _bundle_doc()
        for paragraph in inspect.cleandoc(doc or "").split("\n\n"):
            lines += [*textwrap.wrap(_plain(" ".join(paragraph.split())), width), ""]
    properties = _properties(node, schema)
    if properties:
        required = set(_resolve(node, schema).get("required", []))
        lines.append("FIELDS" + (" (under spec)" if not path else ""))
        for name, prop in properties.items():
            kind_of_field = _type(prop).replace("\\", "")
            note = "required" if name in required else ""
            if "default" in prop and prop["default"] not in (None, [], {}):
                note = f"default {json.dumps(prop['default'])}"
            lines.append(f"  {name} <{kind_of_field}>" + (f"  {note}" if note else ""))
            description = _plain(str(prop.get("description", "")))
            lines += textwrap.wrap(
                description, width, initial_indent=" " * 6, subsequent_indent=" " * 6
            )
        lines.append("")
    example = EXAMPLES.get(kind)
    if example and not path:
        lines += _example(example)
    return "\n".join(lines).rstrip() + "\n"


def _bundle_doc() -> str | None:
    from krm_fn.models import bundle

    return bundle.__doc__


def _plain(text: str) -> str:
    """Markdown made readable in a terminal: no backticks, no link syntax."""
    import re

    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("`", "")


def _example(name: str) -> list[str]:
    """The example's config, as YAML, when the package has its examples (a source checkout)."""
    import pathlib

    from krm_fn import yamlio

    folder = pathlib.Path(__file__).resolve().parent.parent / "kustomization-examples" / name
    kustomization = folder / "kustomization.yaml"
    if not kustomization.exists():
        return [f"EXAMPLE: kustomization-examples/{name} in krm-fn's repository"]
    configs = yamlio.load(kustomization.read_text()).get("transformers", [])
    lines = [f"EXAMPLE (kustomization-examples/{name})", ""]
    for config in configs:
        text = (folder / config).read_text()
        lines += ["  " + line if line else "" for line in text.splitlines()]
    return lines


def skeleton(kind: str) -> str:
    """A config of this kind to start from.

    Required fields to fill in, the others commented out with their defaults, every field with
    its description as a comment.
    """
    import textwrap

    schema = spec_model(kind).model_json_schema(by_alias=True)
    lines = [
        f"# {kind}: krm-fn explain {kind} documents every field.",
        f"apiVersion: {API_VERSION}",
        f"kind: {kind}",
        "metadata:",
        f"  name: {kind.lower()}  # names the config: the key of its injection record",
        "spec:",
    ]
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        description = _plain(str(prop.get("description", "")))
        lines += textwrap.wrap(description, 94, initial_indent="  # ", subsequent_indent="  # ")
        value = _placeholder(prop, schema)
        if name in required:
            lines.append(f"  {name}: {value}  # required")
        else:
            default = prop.get("default", value)
            lines.append(f"  # {name}: {json.dumps(default) if default != value else value}")
    return "\n".join(lines) + "\n"


def _placeholder(prop: dict[str, Any], root: dict[str, Any]) -> str:
    node = _resolve(prop, root) if "$ref" in prop or "anyOf" in prop else prop
    kind = node.get("type")
    if kind == "array":
        return "[]"
    if kind == "object" or "properties" in node:
        return "{}"
    if kind == "integer":
        return "0"
    if kind == "boolean":
        return "false"
    return '""'
