"""Results as the KRM Functions Specification defines them, and the exit code they imply."""

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")


@dataclass
class Result:
    """One finding: what happened or is wrong, and where."""

    message: str
    severity: Severity = "info"
    resource: dict[str, Any] | None = None
    field: str | None = None
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    file: str | None = None  # the file it is about, where no path annotation says it

    def to_dict(self) -> dict[str, Any]:
        """The result as a ResourceList `results` entry."""
        out: dict[str, Any] = {"message": self.message, "severity": self.severity}
        if self.resource is not None:
            out["resourceRef"] = resource_ref(self.resource)
            if self.field:
                out["field"] = {"path": self.field}
        file = source_file(self.resource) if self.resource is not None else None
        if file or self.file:
            out["file"] = file or {"path": self.file}
        if self.tags:
            out["tags"] = dict(self.tags)
        return out

    def to_text(self) -> str:
        """The result as one line for a terminal."""
        file = source_file(self.resource) if self.resource is not None else None
        path = file["path"] if file else self.file
        where = f"{path}: " if path else ""
        if self.resource is not None:
            where += describe(self.resource)
            if self.field:
                where += f" {self.field}"
            where += ": "
        return f"{self.severity}: {where}{self.message}"


def config_tags(key: str) -> dict[str, str]:
    """The tags of a result about one config instance (`Kind/name`, its record key)."""
    kind, _, name = key.partition("/")
    return {"pattern": kind, "config": name, "record": key}


def resource_ref(resource: dict[str, Any]) -> dict[str, str]:
    """The resourceRef of a resource: apiVersion, kind, name and namespace if any."""
    meta = _mapping(resource.get("metadata"))
    ref = {
        "apiVersion": str(resource.get("apiVersion", "")),
        "kind": str(resource.get("kind", "")),
        "name": str(meta.get("name", "")),
    }
    if meta.get("namespace"):
        ref["namespace"] = str(meta["namespace"])
    return ref


def describe(resource: dict[str, Any]) -> str:
    """`Kind/name` or `Kind/namespace/name`, for messages (`name-*` for a generateName)."""
    ref = resource_ref(resource)
    generate = _mapping(resource.get("metadata")).get("generateName")
    if not ref["name"] and isinstance(generate, str) and generate:
        ref["name"] = f"{generate}*"
    if "namespace" in ref:
        return f"{ref['kind']}/{ref['namespace']}/{ref['name']}"
    return f"{ref['kind']}/{ref['name']}"


def source_file(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The file a resource came from, from the path/index annotations kpt sets."""
    annotations = _mapping(_mapping(resource.get("metadata")).get("annotations"))
    path = next((annotations[a] for a in PATH_ANNOTATIONS if a in annotations), None)
    if not isinstance(path, str):
        return None
    file: dict[str, Any] = {"path": path}
    index = next((annotations[a] for a in INDEX_ANNOTATIONS if a in annotations), None)
    if isinstance(index, str) and index.isdigit():
        file["index"] = int(index)
    return file


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def has_errors(results: list[Result]) -> bool:
    """Whether any result is an error (which means exit code 1)."""
    return any(r.severity == "error" for r in results)
