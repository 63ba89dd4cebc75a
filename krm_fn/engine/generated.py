"""Resources a pattern generates (Ambassador's nginx ConfigMap, Adapter's monitors).

Each carries `krm-fn.dev/generated-by` (the config's record key) and a digest of its content. A
later run of that config updates it in place where the digest holds, says so where it does not,
and removes it when the config no longer generates it; a resource of another config, or of
nobody, is never touched.
"""

import posixpath
from collections.abc import Callable
from typing import Any

from krm_fn.editing.record import digest
from krm_fn.engine.config import Instance, facts
from krm_fn.kube.workloads import PodTemplate
from krm_fn.manifests.results import INDEX_ANNOTATIONS, PATH_ANNOTATIONS, Result, describe
from krm_fn.manifests.yamlio import clone
from krm_fn.patterns.checks import DNS_LABEL, DNS_NAME

GENERATED_BY = "krm-fn.dev/generated-by"
GENERATED_DIGEST = "krm-fn.dev/generated-sha256"
TOOL_PREFIXES = (  # annotations of kustomize and kpt, kept when a generated resource is updated
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
)
CLAIM_FIELD = f"metadata.annotations.{GENERATED_BY}"

Identity = tuple[str, str, str, str]


def identity(resource: dict[str, Any]) -> Identity:
    """apiVersion, kind, namespace, name."""
    meta = resource.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (
        str(resource.get("apiVersion")),
        str(resource.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )


def generated_digest(resource: dict[str, Any]) -> str:
    """A digest of a generated resource: everything but its annotations."""
    meta = resource.get("metadata") or {}
    body = {k: v for k, v in resource.items() if k != "metadata"}
    return digest([body, {k: v for k, v in meta.items() if k != "annotations"}])


def generated_by(resource: dict[str, Any]) -> Any:
    """The record key a resource claims generated it (anything: it is the input's)."""
    return ((resource.get("metadata") or {}).get("annotations") or {}).get(GENERATED_BY)


def invalid_name(resource: dict[str, Any]) -> str | None:
    """Why a generated resource's name or namespace is not a Kubernetes one, or None."""
    meta = resource.get("metadata") or {}
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or len(name) > 253 or not DNS_NAME.match(name):
        return (
            f"named {name!r}, which is not a Kubernetes name (lowercase letters, digits, - and"
            " ., at most 253 characters): rename what it is named after"
        )
    if namespace is not None and (
        not isinstance(namespace, str) or len(namespace) > 63 or not DNS_LABEL.match(namespace)
    ):
        return f"in namespace {namespace!r}, which is not a Kubernetes namespace name"
    return None


def is_package_path(path: str) -> bool:
    """A relative path below a package's root: no `..`, no absolute path, no NUL."""
    parts = path.split("/")
    return not path.startswith("/") and "\0" not in path and ".." not in parts


class GeneratedResources:
    """What one run generates, and what its configs generated last time.

    `items` is the run's list: what is generated is appended to it, what is stale removed;
    `resources` are its resources, the items of v1 Lists included (`flatten(items)`).
    `save` is called with a resource before it is changed in place (the run can roll back);
    `results` is the run's list of results, which this adds to as it goes.
    """

    def __init__(
        self,
        items: list[Any],
        resources: list[dict[str, Any]],
        instances: list[Instance],
        save: Callable[[dict[str, Any]], None],
        results: list[Result],
    ) -> None:
        self.items = items
        self.save = save
        self.results = results
        self.kinds = {i.key: facts(i.kind).generates for i in instances}
        self.by_identity = {identity(r): r for r in resources}
        self.generated: dict[Identity, dict[str, Any]] = {}
        self.stale: dict[Identity, dict[str, Any]] = {}  # what a config generated last time
        self.stale_changed: dict[Identity, dict[str, Any]] = {}  # ...and was changed since

    def find(self, resource: dict[str, Any]) -> None:
        """Note what one of this run's configs generated last time, if the claim holds up."""
        key = generated_by(resource)
        if key not in self.kinds:
            return  # nobody's, or another config's: not this run's to touch
        if (resource.get("apiVersion"), resource.get("kind")) not in self.kinds[key]:
            message = (
                f"annotated {GENERATED_BY}: {key}, but {key.partition('/')[0]} never generates a "
                f"{resource.get('kind')}; remove the annotation"
            )
            self.results.append(Result(message, "error", resource, CLAIM_FIELD))
            return
        annotations = (resource.get("metadata") or {}).get("annotations") or {}
        verified = annotations.get(GENERATED_DIGEST) == generated_digest(resource)
        (self.stale if verified else self.stale_changed)[identity(resource)] = resource

    def check(self, pod: PodTemplate, key: str, resource: dict[str, Any]) -> Result | None:
        """An error if a generated resource has a bad name, or one the input already has."""
        assert (resource.get("apiVersion"), resource.get("kind")) in self.kinds[key], resource
        ident = identity(resource)
        existing = self.by_identity.get(ident)
        invalid = invalid_name(resource)
        if invalid:  # derived from a workload's or a Service's name: never a path, never odd
            message = f"krm-fn would generate a {resource.get('kind')} {invalid}"
        elif ident in self.generated and self.generated[ident] != resource:
            message = f"two workloads would generate {describe(resource)} with other content"
        elif existing is not None and generated_by(existing) != key:
            message = (
                f"{describe(resource)} already exists in the input; krm-fn would generate "
                "it: give the generated one another name in the config"
            )
        else:
            return None
        return Result(message, "error", pod.workload, pod.field("spec"))

    def add(self, pod: PodTemplate, key: str, resource: dict[str, Any]) -> None:
        """Add a generated resource, or update the one an earlier run generated, in place."""
        ident = identity(resource)
        self.generated[ident] = clone(resource)
        annotations = resource.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[GENERATED_BY] = key
        annotations[GENERATED_DIGEST] = generated_digest(resource)
        existing = self.stale.pop(ident, None)
        if existing is None and ident in self.stale_changed:
            existing = self.stale_changed.pop(ident)
            message = f"{describe(existing)} changed since krm-fn generated it; generated it again"
            self.results.append(Result(message, "info", existing))
        if existing is not None:
            self.save(existing)
            kept = {
                k: v
                for k, v in (existing["metadata"].get("annotations") or {}).items()
                if k.startswith(TOOL_PREFIXES)
            }
            annotations.update(kept)
            existing.clear()
            existing.update(resource)
            return
        if ident in self.by_identity:
            return  # another workload generated the same resource in this run
        self._place_beside(pod.workload, resource)
        self.items.append(resource)
        self.by_identity[ident] = resource

    @staticmethod
    def _place_beside(workload: dict[str, Any], resource: dict[str, Any]) -> None:
        """Path annotations that put a new resource in the workload's folder, as kpt does."""
        workload_annotations = (workload.get("metadata") or {}).get("annotations") or {}
        source = next(
            (workload_annotations[a] for a in PATH_ANNOTATIONS if a in workload_annotations), None
        )
        if not isinstance(source, str):
            return
        annotations = resource["metadata"]["annotations"]
        name = f"{str(resource['kind']).lower()}_{resource['metadata']['name']}.yaml"
        folder = posixpath.dirname(source)  # the workload's own claim: used only if plain
        path = posixpath.join(folder, name) if is_package_path(folder) else name
        for annotation in PATH_ANNOTATIONS:
            annotations[annotation] = path
        for annotation in INDEX_ANNOTATIONS:
            annotations[annotation] = "0"

    def changed_and_dropped(self) -> list[Result]:
        """Errors for what a config no longer generates and someone changed: not removed."""
        return [
            Result(
                f"{describe(resource)} is annotated {GENERATED_BY}: {generated_by(resource)}, "
                "but it is not what krm-fn generated (it changed, or the annotation was not "
                "written by krm-fn), and the config no longer generates it: remove it by hand",
                "error",
                resource,
                CLAIM_FIELD,
            )
            for resource in self.stale_changed.values()
        ]

    def drop_stale(self) -> None:
        """Remove what an earlier run generated and this one did not."""
        gone = {id(r) for r in self.stale.values()}
        if gone:
            self.items[:] = [i for i in self.items if id(i) not in gone]
        for resource in self.stale.values():
            message = f"removed {describe(resource)}, which this config no longer generates"
            self.results.append(Result(message, "info", resource))
