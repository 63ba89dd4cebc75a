"""Documentation and JSON Schema of each kind, generated from the pattern modules and models."""

import inspect
import json
from typing import Any

from krm_fn.config import API_VERSION, BUNDLE_KIND, KINDS, pattern_module

IMAGE = "localhost/krm-fn:0.1.0"  # what `make image` builds; the examples' Kptfiles run it
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
    if kind == BUNDLE_KIND:
        from krm_fn.patterns.bundle import BundleSpec

        return BundleSpec
    return pattern_module(kind).Spec


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
        from krm_fn.patterns import bundle

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
