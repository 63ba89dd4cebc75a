"""functions.yaml: one KRMFunctionDefinition (KEP-2906) per kind, generated from the models."""

import copy
import inspect
from typing import Any

from krm_fn.engine.config import example, facts, pattern_module, spec_model
from krm_fn.kinds import API_VERSION, BUNDLE_KIND, KINDS
from krm_fn.reference import IMAGE

GROUP, VERSION = API_VERSION.split("/")


def openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema as an OpenAPI v3 structural schema.

    $refs are inlined, titles dropped, `const` becomes a one-value enum, and optional unions
    become `nullable`.
    """
    definitions = schema.get("$defs", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = convert(copy.deepcopy(definitions[node["$ref"].rsplit("/", 1)[-1]]))
            extra = {k: convert(v) for k, v in node.items() if k != "$ref"}
            return {**target, **extra}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("title", "$defs", "discriminator"):
                continue
            if key == "const":
                out["enum"] = [value]
            elif key == "anyOf" and any(v.get("type") == "null" for v in value):
                rest = [convert(v) for v in value if v.get("type") != "null"]
                out.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
                out["nullable"] = True
            else:
                out[key] = convert(value)
        return out

    converted: dict[str, Any] = convert(schema)
    return converted


def definition(kind: str, image: str = IMAGE) -> dict[str, Any]:
    """The KRMFunctionDefinition of one kind."""
    module: Any
    if kind == BUNDLE_KIND:
        from krm_fn.patterns.models import bundle as module
    else:
        module = pattern_module(kind)
    doc = inspect.cleandoc(module.__doc__ or "")
    spec = openapi(spec_model(kind).model_json_schema(by_alias=True))
    schema = {
        "type": "object",
        "required": ["apiVersion", "kind", "spec"],
        "properties": {
            "apiVersion": {"type": "string", "enum": [API_VERSION]},
            "kind": {"type": "string", "enum": [kind]},
            "metadata": {"type": "object", "description": "`name` keys the injection record."},
            "spec": spec,
        },
    }
    folder = example(kind)
    validator = kind != BUNDLE_KIND and facts(kind).validator
    plural = kind.lower() if kind.endswith("s") else f"{kind.lower()}s"
    return {
        "apiVersion": "config.kubernetes.io/v1alpha1",
        "kind": "KRMFunctionDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind},
            "description": doc.splitlines()[0],
            "publisher": "krm-fn",
            "tags": ["validator" if validator else "mutator", "pod-patterns"],
            "versions": [
                {
                    "name": VERSION,
                    "schema": {"openAPIV3Schema": schema},
                    "idempotent": True,
                    "usage": f"docs/patterns/{kind.lower()}.md",
                    "examples": [f"kustomization-examples/{folder}/README.md"],
                    "license": "Apache-2.0",
                    "runtime": {
                        "container": {"image": image, "network": False},
                        "exec": {"path": "krm-fn"},
                    },
                }
            ],
        },
    }


def definitions(image: str = IMAGE) -> list[dict[str, Any]]:
    """Every kind's definition, in the registry's order, its container runtime `image`."""
    return [definition(kind, image) for kind in KINDS]
