"""Where the pod template lives in each workload kind, built-in and custom."""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

# kind -> (API groups the kind is built into, path to the pod template)
BUILTIN_TEMPLATES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Pod": (frozenset([""]), ()),
    "PodTemplate": (frozenset([""]), ("template",)),
    "ReplicationController": (frozenset([""]), ("spec", "template")),
    "Deployment": (frozenset(["apps", "extensions"]), ("spec", "template")),
    "StatefulSet": (frozenset(["apps"]), ("spec", "template")),
    "DaemonSet": (frozenset(["apps", "extensions"]), ("spec", "template")),
    "ReplicaSet": (frozenset(["apps", "extensions"]), ("spec", "template")),
    "Job": (frozenset(["batch"]), ("spec", "template")),
    "CronJob": (frozenset(["batch"]), ("spec", "jobTemplate", "spec", "template")),
}


class TemplatePath(Protocol):
    """Where a custom kind keeps its pod templates (a config's `podTemplatePaths` entry)."""

    @property
    def group(self) -> str | None:
        """The kind's API group; None matches any."""

    @property
    def kind(self) -> str:
        """The kind."""

    @property
    def path(self) -> str:
        """A JSONPath to the pod template(s)."""


@dataclass
class PodTemplate:
    """A pod template found in a workload: its metadata and spec, and where it is."""

    workload: dict[str, Any]  # the resource that owns it (an item of a List for List items)
    template: dict[str, Any]  # the mapping holding `metadata` and `spec` (the Pod itself for Pods)
    path: str  # dotted path from the workload to `template`, '' for a Pod

    @property
    def spec(self) -> dict[str, Any]:
        """The pod spec."""
        spec: dict[str, Any] = self.template["spec"]
        return spec

    @property
    def metadata(self) -> dict[str, Any]:
        """The pod template's metadata, created when missing."""
        meta = self.template.get("metadata")
        if not isinstance(meta, dict):
            rest = [(k, v) for k, v in self.template.items() if k != "metadata"]
            self.template.clear()
            meta = self.template["metadata"] = {}
            self.template.update(rest)
        return meta

    @property
    def annotations(self) -> dict[str, Any]:
        """The pod template's annotations (read only: empty when missing)."""
        meta = self.template.get("metadata")
        return (meta.get("annotations") if isinstance(meta, dict) else None) or {}

    def field(self, rest: str) -> str:
        """A field path from the workload, for results."""
        return f"{self.path}.{rest}" if self.path else rest

    @property
    def kind(self) -> str:
        """The workload's kind."""
        return str(self.workload.get("kind", ""))


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Init containers, then containers."""
    return [
        c
        for key in ("initContainers", "containers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]


def api_group(resource: dict[str, Any]) -> str:
    """The API group of a resource ('' for the core group)."""
    api_version = str(resource.get("apiVersion", ""))
    return api_version.rpartition("/")[0]


@lru_cache(maxsize=64)
def parse_jsonpath(path: str) -> Any:
    """Parse a JSONPath (jsonpath-ng is imported only when custom kinds are configured)."""
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

    try:
        parsed = parse(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as err:
        raise ValueError(f"not a valid JSONPath: {err}") from None
    for _ in _regexes(parsed):  # jsonpath-ng runs them with Python's backtracking `re`
        raise ValueError(
            "regular expressions (`=~` filters, sub()) are not allowed in a pod template path: "
            "they would run on the input's values with a backtracking engine; name the fields"
        )
    return parsed


def _regexes(node: Any, seen: set[int] | None = None) -> Iterator[str]:
    """The regular expressions a parsed JSONPath holds."""
    seen = set() if seen is None else seen
    if id(node) in seen or not hasattr(node, "__dict__"):
        return
    seen.add(id(node))
    if getattr(node, "op", None) == "=~" and isinstance(getattr(node, "value", None), str):
        yield node.value
    if type(node).__name__ == "Sub" and isinstance(getattr(node, "expr", None), str):
        yield node.expr
    for value in vars(node).values():
        for child in value if isinstance(value, list) else [value]:
            yield from _regexes(child, seen)


def _is_template(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("spec"), dict)


def is_list(resource: dict[str, Any]) -> bool:
    """A `v1 List` (what `kubectl get -o yaml` writes): its items are resources of their own."""
    return (
        resource.get("kind") == "List"
        and api_group(resource) == ""
        and isinstance(resource.get("items"), list)
    )


def flatten(items: list[Any]) -> list[dict[str, Any]]:
    """The resources among items, with the items of v1 Lists in their place."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if is_list(item):
            out += flatten(item["items"])
        else:
            out.append(item)
    return out


def pod_templates(
    resource: dict[str, Any], custom: Sequence[TemplatePath] = ()
) -> Iterator[PodTemplate]:
    """Every pod template in a resource; items of a `v1 List` are searched too."""
    if is_list(resource):
        for item in flatten(resource["items"]):
            yield from pod_templates(item, custom)
        return
    kind = resource.get("kind")
    group = api_group(resource)
    builtin = BUILTIN_TEMPLATES.get(str(kind))
    if builtin and group in builtin[0]:
        node: Any = resource
        for key in builtin[1]:
            node = node.get(key) if isinstance(node, dict) else None
        if _is_template(node):
            yield PodTemplate(resource, node, ".".join(builtin[1]))
        return
    for entry in custom:
        if entry.kind == kind and entry.group in (None, group):
            for match in parse_jsonpath(entry.path).find(resource):
                if _is_template(match.value):
                    yield PodTemplate(resource, match.value, str(match.full_path))


CRONJOB_JOB = re.compile(r"^(.+)-\d+$")  # a Job a CronJob made: <cronjob>-<scheduled minute>


def owners(pod: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    """What a pod stands for, to match targets by kind and name.

    The pod itself, its controller, and the controller's own owner where the names tell it (a
    Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`, a CronJob's Job
    `<cronjob>-<minute>`). Each carries the pod's labels and annotations: at admission, label
    and annotation selectors see the pod's own.
    """
    meta = pod.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}

    def workload(api_version: str, kind: str, name: str) -> dict[str, Any]:
        metadata = {"name": name, "namespace": namespace, "labels": labels}
        return {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": metadata | {"annotations": annotations},
        }

    found = [workload("v1", "Pod", str(meta.get("name") or ""))]
    controller = next(
        (
            o
            for o in meta.get("ownerReferences") or []
            if isinstance(o, dict) and o.get("controller")
        ),
        None,
    )
    if controller is None:
        return found
    kind, name = str(controller.get("kind")), str(controller.get("name"))
    found.append(workload(str(controller.get("apiVersion")), kind, name))
    template_hash = str(labels.get("pod-template-hash", ""))
    if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
        found.append(workload("apps/v1", "Deployment", name[: -len(template_hash) - 1]))
    if kind == "Job" and (match := CRONJOB_JOB.match(name)):
        found.append(workload("batch/v1", "CronJob", match.group(1)))
    return found
