"""The one core: apply pattern instances to resources. No I/O; every caller is a thin wrapper."""

import contextlib
import functools
import posixpath
import re
from collections.abc import Callable
from typing import Any

from krm_fn.checks import DNS_LABEL, DNS_NAME
from krm_fn.config import PATTERNS, ConfigError, Instance, load_config, pattern_module
from krm_fn.deadline import NONE as NO_DEADLINE
from krm_fn.deadline import Deadline, DeadlineExceeded
from krm_fn.order import keep_order
from krm_fn.podsecurity import ENFORCE_LABEL, violations, weakened_isolation
from krm_fn.podspec import OPT_OUT_ANNOTATION, PodEditor, all_containers
from krm_fn.record import (
    RECORD_ANNOTATION,
    Entry,
    RecordError,
    digest,
    read_record,
    write_record,
)
from krm_fn.resources import effective
from krm_fn.results import (
    INDEX_ANNOTATIONS,
    PATH_ANNOTATIONS,
    Result,
    Severity,
    config_tags,
    describe,
)
from krm_fn.selection import selects
from krm_fn.services import ServiceIndex, is_service
from krm_fn.shapes import METADATA, POD_SPEC, SERVICE, problems
from krm_fn.undo import Undone, entry_items, restore_paths, undo_pod, undo_service
from krm_fn.workloads import PodTemplate, pod_templates
from krm_fn.yamlio import clone, same

LOCAL_CONFIG = "config.kubernetes.io/local-config"
PROFILE_ANNOTATIONS = (  # the annotations that set a container's AppArmor or seccomp profile
    "container.apparmor.security.beta.kubernetes.io/",
    "seccomp.security.alpha.kubernetes.io/",
    "container.seccomp.security.alpha.kubernetes.io/",
)
GENERATED_BY = "krm-fn.dev/generated-by"
GENERATED_DIGEST = "krm-fn.dev/generated-sha256"
TOOL_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
)
# A bug in a pattern is reported as an internal error naming it; tests set this to see it raise.
RAISE_INTERNAL_ERRORS = False

Identity = tuple[str, str, str, str]


def passes_through(resource: dict[str, Any]) -> bool:
    """Kptfiles, local-config items, krm-fn configs and non-resources are never changed."""
    if not resource.get("apiVersion") or not resource.get("kind"):
        return True  # not a Kubernetes resource (a kustomization file kpt hands over)
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    api_version = str(resource.get("apiVersion", ""))
    return str(annotations.get(LOCAL_CONFIG, "")).lower() == "true" or api_version.startswith(
        ("kpt.dev/", "krm-fn.dev/")
    )


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


def _flatten(items: list[Any]) -> list[dict[str, Any]]:
    """Items, with the items of v1 Lists in their place."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("kind") == "List" and isinstance(item.get("items"), list):
            out += _flatten(item["items"])
        else:
            out.append(item)
    return out


Selector = Callable[[Instance, PodTemplate], bool]


def targeted(instance: Instance, pod: PodTemplate, namespace: str = "") -> bool:
    """Whether an instance's targets select a pod's workload (no targets: every workload).

    `namespace` is that of a workload without one (`krm-fn run --namespace`, `helm -n`).
    """
    targets = instance.spec.targets
    return not targets or any(selects(t, pod.workload, namespace) for t in targets)


def apply(
    items: list[Any],
    instances: list[Instance],
    selector: Selector = targeted,
    notes: bool = True,
    restore: bool = True,
    strict: bool = False,
    uninjecting: bool = False,
    deadline: Deadline = NO_DEADLINE,
    fail_on_warnings: bool = False,
    namespace: str | None = None,
    report_unmatched: bool = True,
) -> list[Result]:
    """Apply every instance, in order, to the workloads of `items` (changed in place).

    `selector` decides which instances a pod gets (the webhook maps targets through the pod's
    owner); by default, the instance's targets on the workload. `notes=False` skips the info
    results that cost the most to write (each pod's effective requests and limits), for a
    caller that shows only warnings and errors. `restore=False` skips keeping copies to put the
    items back on an error and to keep unchanged ones byte for byte, for a caller that throws its
    items away on an error and compares them as data (the webhook: its patch is a diff).
    `report_unmatched=False` says nothing of instances that select no workload (the webhook: one
    pod, and what other configs select is not its author's business).
    """
    if namespace and selector is targeted:
        selector = functools.partial(targeted, namespace=namespace)
    run = _Run(items, instances, selector, notes, restore, namespace or "default")
    run.strict, run.uninjecting, run.deadline = strict, uninjecting, deadline
    run.fail_on_warnings, run.report_unmatched = fail_on_warnings, report_unmatched
    return run.run()


def transform(
    function_config: Any,
    items: list[Any],
    strict: bool = False,
    fail_on_warnings: bool = False,
    namespace: str | None = None,
) -> list[Result]:
    """Load a config and apply it to items in place; config problems become error results.

    The library API: every way in (KRM function, plugin, `krm-fn run`, the webhook) calls this
    or, with configs loaded once, `apply`.
    """
    try:
        instances = load_config(function_config)
    except ConfigError as err:
        return err.results
    return apply(
        items, instances, strict=strict, fail_on_warnings=fail_on_warnings, namespace=namespace
    )


def uninject(items: list[Any], keys: list[str] | None = None) -> list[Result]:
    """Remove every recorded injection from items (or only those of `keys`).

    Verified as a run undoes before injecting; the resources they generated go too.
    """
    from krm_fn.record import parse_record
    from krm_fn.validators import validate_PatternSpec

    found: dict[str, None] = {}
    for resource in _flatten(items):
        holders = [resource] + [p.template for p in pod_templates(resource)]
        for holder in holders:
            meta = holder.get("metadata") if isinstance(holder, dict) else None
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            if not isinstance(annotations, dict):
                continue
            with contextlib.suppress(RecordError):  # the run reports it, naming the resource
                found.update(dict.fromkeys(parse_record(annotations.get(RECORD_ANNOTATION))))
            if isinstance(annotations.get(GENERATED_BY), str):
                found[annotations[GENERATED_BY]] = None
    wanted = [k for k in found if keys is None or k in keys]
    instances = []
    for key in wanted:
        kind, _, name = key.partition("/")
        if kind not in PATTERNS:
            return [Result(f"a record names {key!r}, and {kind!r} is no krm-fn kind", "error")]
        no_targets = validate_PatternSpec({})  # every workload
        instances.append(Instance(kind, name, no_targets, _inject_nothing))
    return apply(items, instances, selector=lambda instance, pod: False, uninjecting=True)


def _inject_nothing(spec: Any, pod: PodEditor) -> None:
    """What an instance that is being removed injects."""


class _Run:
    """One application of a config to a list of items."""

    def __init__(
        self,
        items: list[Any],
        instances: list[Instance],
        selector: Selector,
        notes: bool,
        restore: bool,
        namespace: str = "default",
    ) -> None:
        self.items = items
        self.instances = instances
        self.selector = selector
        self.notes = notes
        self.restore = restore
        self.strict = False  # a config that selects nothing is an error
        self.uninjecting = False  # removing injections is what was asked: info, not warnings
        self.deadline = NO_DEADLINE  # past it, DeadlineExceeded (the webhook's time budget)
        self.fail_on_warnings = False  # every warning is an error (else: per config)
        self.report_unmatched = True  # a config that selects no workload: a warning (or error)
        self.undid: set[int] = set()  # resources with an earlier injection undone in this run
        self.keys = [i.key for i in instances]
        self.results: list[Result] = []
        resources = [r for r in _flatten(items) if not passes_through(r)]
        self.workloads = resources
        self.services = [r for r in resources if is_service(r) and self._well_shaped(r)]
        self.namespace = namespace  # that of resources without one
        self.service_index = ServiceIndex(self.services, namespace)
        self.service_records: dict[int, tuple[dict[str, Any], dict[str, Entry]]] = {}
        self.service_undone: list[tuple[dict[str, Any], str, Undone]] = []
        self.by_identity = {identity(r): r for r in _flatten(items)}
        self.generated: dict[Identity, dict[str, Any]] = {}
        self.stale: dict[Identity, dict[str, Any]] = {}  # what this config generated last time
        self.stale_changed: dict[Identity, dict[str, Any]] = {}  # ...and was changed since
        for resource in resources:
            self._find_generated(resource)
        self.enforced = {
            str((r.get("metadata") or {}).get("name")): str(
                ((r.get("metadata") or {}).get("labels") or {}).get(ENFORCE_LABEL)
            )
            for r in resources
            if r.get("kind") == "Namespace"
            and ENFORCE_LABEL in ((r.get("metadata") or {}).get("labels") or {})
        }
        # a run is all or nothing: what it changes is saved first, and restored on any error
        self.items_before = list(items)
        self.saved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def _well_shaped(self, service: dict[str, Any]) -> bool:
        found = [Result(f"{m}", "error", service, f) for f, m in problems(service, SERVICE, "")]
        self.results += found
        return not found

    def _find_generated(self, resource: dict[str, Any]) -> None:
        """Note what this config generated last time, if the claim holds up."""
        key = _generated_by(resource)
        if key not in self.keys:
            return  # nobody's, or another config's: not this run's to touch
        instance = self.instances[self.keys.index(key)]
        kinds = _generates(instance.kind)
        where = f"metadata.annotations.{GENERATED_BY}"
        if (resource.get("apiVersion"), resource.get("kind")) not in kinds:
            message = (
                f"annotated {GENERATED_BY}: {key}, but {instance.kind} never generates a "
                f"{resource.get('kind')}; remove the annotation"
            )
            self.results.append(Result(message, "error", resource, where))
            return
        annotations = (resource.get("metadata") or {}).get("annotations") or {}
        verified = annotations.get(GENERATED_DIGEST) == generated_digest(resource)
        (self.stale if verified else self.stale_changed)[identity(resource)] = resource

    def _save(self, resource: dict[str, Any]) -> None:
        if self.restore and id(resource) not in self.saved:
            self.saved[id(resource)] = (resource, clone(resource))

    def _rollback(self) -> None:
        for resource, saved in self.saved.values():
            resource.clear()
            resource.update(saved)
        self.items[:] = self.items_before

    def run(self) -> list[Result]:
        for service in self.services:
            self._undo_service(service)
        matched: set[str] = set()
        custom_paths = [p for i in self.instances for p in i.spec.pod_template_paths]
        for resource in self.workloads:
            for pod in pod_templates(resource, custom_paths):
                self.deadline.check()
                chosen = [i for i in self.instances if self.selector(i, pod)]
                matched.update(i.key for i in chosen)
                self.results += self._apply_to_pod(pod, chosen)
        for instance in self.instances if self.report_unmatched and not self.uninjecting else []:
            if instance.key not in matched:
                severity: Severity = (
                    "error" if self.strict or instance.spec.fail_on_empty_match else "warning"
                )
                message = f'{instance.kind} "{instance.name}" matched no workload; {self._seen()}'
                message += self._namespace_hint(instance)
                self.results.append(Result(message, severity, tags=config_tags(instance.key)))
        self._finish_services()
        for resource in self.stale_changed.values():
            message = (
                f"{describe(resource)} is annotated {GENERATED_BY}: {_generated_by(resource)}, "
                "but it is not what krm-fn generated (it changed, or the annotation was not "
                "written by krm-fn), and the config no longer generates it: remove it by hand"
            )
            field = f"metadata.annotations.{GENERATED_BY}"
            self.results.append(Result(message, "error", resource, field))
        self._escalate_warnings()
        if any(r.severity == "error" for r in self.results):
            self._rollback()
            return [r for r in self.results if r.severity != "info"]
        self._drop_stale()
        for resource, saved in self.saved.values():
            if id(resource) in self.undid:  # what was undone and injected again: where it was
                keep_order(resource, saved)  # (a pipeline's second pass gives the same bytes)
        self._keep_unchanged_as_they_were()
        return self.results

    def _namespace_hint(self, instance: Instance) -> str:
        """Why a target's namespace may match nothing: workloads that have none."""
        if not any(t.namespace for t in instance.spec.targets):
            return ""
        if all((r.get("metadata") or {}).get("namespace") for r in self.workloads):
            return ""
        return (
            f'; workloads without metadata.namespace are taken to be in "{self.namespace}": '
            "name the namespace they are applied to with `krm-fn run --namespace NS` (Helm: "
            "--post-renderer-args=--namespace=NS, as Helm tells a post-renderer nothing of -n)"
        )

    def _namespace(self, pod: PodTemplate) -> str:
        return str((pod.workload.get("metadata") or {}).get("namespace") or self.namespace)

    def _escalate_warnings(self) -> None:
        """Warnings become errors: all of them, or those of configs with failOnWarnings."""
        strict = {i.key for i in self.instances if i.spec.fail_on_warnings}
        if not (strict or self.fail_on_warnings):
            return
        for result in self.results:
            if result.severity == "warning" and (
                self.fail_on_warnings or result.tags.get("record") in strict
            ):
                result.severity = "error"
                result.message += " (an error: warnings fail with failOnWarnings)"

    def _seen(self) -> str:
        """What a config could have selected: the workloads, with kind, name and labels."""
        custom = [p for i in self.instances for p in i.spec.pod_template_paths]
        seen = []
        for resource in self.workloads:
            if next(pod_templates(resource, custom), None) is None:
                continue
            meta = resource.get("metadata") or {}
            labels = ",".join(f"{k}={v}" for k, v in (meta.get("labels") or {}).items())
            seen.append(f"{describe(resource)}" + (f" ({labels})" if labels else ""))
        if not seen:
            return "the input has no workload (Deployment, StatefulSet, Pod...)"
        more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
        return f"the input has {', '.join(seen[:5])}{more}: check targets"

    def _keep_unchanged_as_they_were(self) -> None:
        """A resource a run left as it was keeps its exact form (key order included).

        It says so once, instead of listing what was already there.
        """
        unchanged = set()
        for resource, saved in self.saved.values():
            if same(resource, saved):
                resource.clear()
                resource.update(saved)
                unchanged.add(id(resource))
        if not unchanged:
            return
        kept = [r for r in self.results if r.resource is None or id(r.resource) not in unchanged]
        for resource, _ in self.saved.values():
            if id(resource) in unchanged and _has_pods(resource):
                kept.append(
                    Result("unchanged: everything the configs inject is in place", "info", resource)
                )
        self.results[:] = kept

    # Services --------------------------------------------------------------------------
    def _undo_service(self, service: dict[str, Any]) -> None:
        try:
            record = read_record(service, service=True)
        except RecordError as err:
            self.results.append(_record_error(service, "metadata.annotations", err))
            return
        self.service_records[id(service)] = (service, record)
        if not set(record) & set(self.keys):
            return
        self._save(service)
        self.undid.add(id(service))
        for key in reversed(self.keys):
            if key in record:
                undone = undo_service(service, key, record.pop(key))
                self.service_undone.append((service, key, undone))

    def _finish_services(self) -> None:
        """Check what undoing left to be injected again; write the Services' records."""
        for service, key, undone in self.service_undone:
            entry = self.service_records[id(service)][1].get(key)
            self.results += _judge_undone(service, "metadata.annotations", key, undone, entry)
        for service, record in self.service_records.values():
            if id(service) in self.saved:
                write_record(service, record)

    # pods ------------------------------------------------------------------------------
    def _apply_to_pod(self, pod: PodTemplate, chosen: list[Instance]) -> list[Result]:
        """Undo this config's earlier injection, then inject again."""
        annotations_field = pod.field("metadata.annotations")
        try:
            record = read_record(pod.template)
        except RecordError as err:
            return [_record_error(pod.workload, annotations_field, err)]
        previous = [k for k in self.keys if k in record]
        if not chosen and not previous:
            return []
        malformed = _malformed(pod)
        if malformed:
            return malformed
        self._save(pod.workload)
        results: list[Result] = []
        undone = {}
        isolation = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
        if previous:
            self.undid.add(id(pod.workload))
        for key in reversed(previous):
            undone[key] = undo_pod(pod, key, record.pop(key), self.deadline)
            now = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
            for field, problem in sorted(now - isolation):  # what the record said was there
                message = f"undoing {key} weakens isolation: {field} {problem}"
                tags = config_tags(key)
                results.append(Result(message, "warning", pod.workload, pod.field(field), tags))
            isolation = now
        if _opted_out(pod):
            skipped = [i for i in chosen if i.spec.pod_opt_out]
            chosen = [i for i in chosen if not i.spec.pod_opt_out]
            message = f'skipped: annotated {OPT_OUT_ANNOTATION}: "false"'
            if skipped:
                results.append(Result(message, "info", pod.workload))
            if chosen:
                names = ", ".join(f"{i.kind}/{i.name}" for i in chosen)
                message = f'annotated {OPT_OUT_ANNOTATION}: "false", but {names} may not be refused'
                results.append(Result(message, "info", pod.workload))
        services = self.service_index.selecting(pod)
        for service in services:
            self._save(service)
        editors = []
        for instance in chosen:
            self.deadline.check()
            editor = PodEditor(pod, instance.kind, instance.name, instance.key, record, services)
            try:
                instance.inject(instance.spec, editor)
                editor.seal()
            except DeadlineExceeded:
                raise
            except Exception as err:
                if RAISE_INTERNAL_ERRORS:
                    raise
                return [_internal_error(pod, instance, err)]
            results += editor.results
            editors.append(editor)
            if editor.entry:
                record[instance.key] = editor.entry
            now = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
            level = self.enforced.get(self._namespace(pod))
            results += _isolation_warnings(pod, editor, now - isolation, level)
            isolation = now
        for key, done in undone.items():
            results += _judge_undone(
                pod.workload, annotations_field, key, done, record.get(key), self.uninjecting
            )
        results += _check_pod(pod, editors)
        if editors and any(e.entry for e in editors):
            results += _pod_security(pod, self._namespace(pod), self.enforced, editors)
            if self.notes and any(_changes_resources(e.entry) for e in editors):
                results += _effective_resources(pod)
        generated = [(e, r) for e in editors for r in e.generated]
        results += self._check_generated(pod, generated)
        if any(r.severity == "error" for r in results):
            return results  # the whole run is rolled back
        write_record(pod.template, record)
        for editor in editors:
            for service, entry in editor.service_entries():
                self._merge_service_entry(service, editor.key, entry)
        for editor, resource in generated:
            self._emit(pod, editor, resource)
        return results

    def _merge_service_entry(self, service: dict[str, Any], key: str, entry: Entry) -> None:
        _, record = self.service_records.setdefault(id(service), (service, {}))
        old = record.setdefault(key, Entry())
        old.ports.update({k: v for k, v in entry.ports.items() if k not in old.ports})
        old.portsWas.update({k: v for k, v in entry.portsWas.items() if k not in old.portsWas})

    # generated resources ---------------------------------------------------------------
    def _check_generated(
        self, pod: PodTemplate, generated: list[tuple[PodEditor, dict[str, Any]]]
    ) -> list[Result]:
        """A generated resource has a valid name, not one the input already has."""
        results = []
        for editor, resource in generated:
            kinds = _generates(editor.kind)
            assert (resource.get("apiVersion"), resource.get("kind")) in kinds, resource
            ident = identity(resource)
            existing = self.by_identity.get(ident)
            invalid = invalid_name(resource)
            if invalid:  # derived from a workload's or a Service's name: never a path, never odd
                message = f"krm-fn would generate a {resource.get('kind')} {invalid}"
            elif ident in self.generated and self.generated[ident] != resource:
                message = f"two workloads would generate {describe(resource)} with other content"
            elif existing is not None and _generated_by(existing) != editor.key:
                message = (
                    f"{describe(resource)} already exists in the input; krm-fn would generate "
                    "it: give the generated one another name in the config"
                )
            else:
                continue
            results.append(Result(message, "error", pod.workload, pod.field("spec")))
        return results

    def _emit(self, pod: PodTemplate, editor: PodEditor, resource: dict[str, Any]) -> None:
        """Add a generated resource, or update the one an earlier run generated, in place."""
        ident = identity(resource)
        self.generated[ident] = clone(resource)
        annotations = resource.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[GENERATED_BY] = editor.key
        annotations[GENERATED_DIGEST] = generated_digest(resource)
        existing = self.stale.pop(ident, None)
        if existing is None and ident in self.stale_changed:
            existing = self.stale_changed.pop(ident)
            message = f"{describe(existing)} changed since krm-fn generated it; generated it again"
            self.results.append(Result(message, "info", existing))
        if existing is not None:
            self._save(existing)
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
        workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
        source = next(
            (workload_annotations[a] for a in PATH_ANNOTATIONS if a in workload_annotations), None
        )
        if isinstance(source, str):
            name = f"{str(resource['kind']).lower()}_{resource['metadata']['name']}.yaml"
            folder = posixpath.dirname(source)  # the workload's own claim: used only if plain
            path = posixpath.join(folder, name) if is_package_path(folder) else name
            for annotation in PATH_ANNOTATIONS:
                annotations[annotation] = path
            for annotation in INDEX_ANNOTATIONS:
                annotations[annotation] = "0"
        self.items.append(resource)
        self.by_identity[ident] = resource

    def _drop_stale(self) -> None:
        """Remove what an earlier run generated and this one did not."""
        gone = {id(r) for r in self.stale.values()}
        if gone:
            self.items[:] = [i for i in self.items if id(i) not in gone]
            for resource in self.stale.values():
                message = f"removed {describe(resource)}, which this config no longer generates"
                self.results.append(Result(message, "info", resource))


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


def _has_pods(resource: dict[str, Any]) -> bool:
    return next(pod_templates(resource), None) is not None


def _generates(kind: str) -> frozenset[tuple[str, str]]:
    """The (apiVersion, kind) of the resources a pattern may generate."""
    kinds: frozenset[tuple[str, str]] = getattr(pattern_module(kind), "GENERATES", frozenset())
    return kinds


def _generated_by(resource: dict[str, Any]) -> Any:
    return ((resource.get("metadata") or {}).get("annotations") or {}).get(GENERATED_BY)


def _record_error(resource: dict[str, Any], annotations_field: str, err: RecordError) -> Result:
    where = f" entry {err.path}" if err.path else ""
    message = (
        f"the record {RECORD_ANNOTATION}{where} {str(err).removeprefix(f'{err.path}: ')}; "
        "krm-fn writes it and undoes only what it can verify: restore it, or remove it "
        "together with what it lists"
    )
    return Result(message, "error", resource, f"{annotations_field}.{RECORD_ANNOTATION}")


def _judge_undone(
    resource: dict[str, Any],
    annotations_field: str,
    key: str,
    done: Undone,
    entry: Entry | None,
    asked: bool = False,
) -> list[Result]:
    """Report what undoing an entry did; an item that differed must have been injected again."""
    field = f"{annotations_field}.{RECORD_ANNOTATION}"
    results = [
        Result(f"record entry {problem}", "error", resource, field) for problem in done.problems
    ]
    results += [Result(f"record entry {w}", "warning", resource, field) for w in done.warnings]
    again = {(i.field, i.owner, i.name) for i, _ in entry_items(entry)} if entry else set()
    for item in done.changed:
        if (item.field, item.owner, item.name) in again:
            message = (
                f"{item.describe()} was not as {key} left it (changed since, or the record was "
                "not written by krm-fn); replaced by what the config injects now"
            )
            results.append(Result(message, "info", resource, field))
        else:
            message = (
                f"{item.describe()} is not what {key} injected (it changed since, or the record "
                "was not written by krm-fn), and the config does not inject it again: krm-fn "
                f"removes only what it can verify; remove it by hand, or its entry "
                f"{item.path(key)} from the record"
            )
            results.append(Result(message, "error", resource, field))
    for item in done.removed:
        isolation = item.field == "annotations" and item.name.startswith(PROFILE_ANNOTATIONS)
        if isolation:  # an AppArmor or seccomp profile gone: isolation changes, even when asked
            message = (
                f"removed {item.describe()}, which {key} injected: the pod loses that "
                "AppArmor or seccomp profile"
                + ("" if (item.field, item.owner, item.name) not in again else "; set again")
            )
            results.append(Result(message, "warning", resource, field))
        elif (item.field, item.owner, item.name) not in again:
            severity: Severity = "info" if asked else "warning"
            message = f"removed {item.describe()}, which {key} injected and no longer injects"
            results.append(Result(message, severity, resource, field))
    kept = restore_paths(key, entry) if entry else set()
    for path in done.restored:
        if path not in kept:  # the value is in the pod now, not in the record
            severity = "info" if asked else "warning"
            message = (
                f"record entry {path}: put back the value the record keeps, which {key} no "
                "longer replaces; check that it is the workload's own"
            )
            results.append(Result(message, severity, resource, field))
    for result in results:
        result.tags = config_tags(key)
    return results


def _internal_error(pod: PodTemplate, instance: Instance, err: Exception) -> Result:
    message = (
        f'{instance.kind} "{instance.name}": internal error ({type(err).__name__}: {err}); '
        "this is a bug in krm-fn: please report it (KRM_FN_DEBUG=1 shows where)"
    )
    return Result(message, "error", pod.workload, pod.field("spec"))


def _isolation_warnings(
    pod: PodTemplate, editor: PodEditor, weakened: set[tuple[str, str]], level: str | None
) -> list[Result]:
    """A warning for everything an instance did that weakens the pod's isolation.

    Not where the namespace enforces a Pod Security level that rejects it: that is an error.
    """
    if level and weakened:
        weakened -= set(violations(pod.spec, level, pod.template.get("metadata") or {}))
    results = []
    warned = {r.field for r in editor.results if r.severity == "warning"}
    for field, problem in sorted(weakened):
        container = field.partition("[name=")[2].partition("]")[0]
        if (container and container in editor.accepted_privilege) or pod.field(field) in warned:
            continue  # its pattern has warned already, saying why
        message = (
            f'{editor.kind} "{editor.name}": weakens isolation: {field} {problem} '
            '(the Pod Security "restricted" profile rejects it)'
        )
        if field == "spec.shareProcessNamespace" or "seccomp.security" in field:
            message = f'{editor.kind} "{editor.name}": weakens isolation: {field}: {problem}'
        results.append(Result(message, "warning", pod.workload, pod.field(field), editor.tags))
    return results


LISTS_OF_NAMED = ("containers", "initContainers", "volumes")


def _malformed(pod: PodTemplate) -> list[Result]:
    """Fields shaped unlike what Kubernetes accepts, or names used twice: say where."""
    shape = "must be a list of mappings (with names); krm-fn cannot edit this pod"
    found: list[tuple[str, str]] = []
    for key in LISTS_OF_NAMED:
        value = pod.spec.get(key)
        if value is not None and not (
            isinstance(value, list)
            and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value)
        ):
            found.append((f"spec.{key}", shape))
    if not found:
        found += [
            (field, f"{problem}; the API server would reject this")
            for field, problem in (
                *problems(pod.spec, POD_SPEC, "spec"),
                *problems(pod.template.get("metadata"), METADATA, "metadata"),
            )
        ]
    if not found:
        found += _repeated_names(pod, ("containers", "initContainers"), "container")
        found += _repeated_names(pod, ("volumes",), "volume")
    return [Result(message, "error", pod.workload, pod.field(field)) for field, message in found]


def _repeated_names(pod: PodTemplate, keys: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    seen: set[str] = set()
    found = []
    for key in keys:
        for item in pod.spec.get(key) or []:
            if item["name"] in seen:
                message = (
                    f'{what} name "{item["name"]}" is used twice; the cluster rejects this pod'
                )
                found.append((f"spec.{key}[name={item['name']}]", message))
            seen.add(item["name"])
    return found


def _opted_out(pod: PodTemplate) -> bool:
    workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
    return "false" in (
        str(workload_annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
        str(pod.annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
    )


def _check_pod(pod: PodTemplate, editors: list[PodEditor]) -> list[Result]:
    """Conflicts involving what was injected: shared ports, mounts of missing volumes."""
    results = []
    by_name = {
        name: editor
        for editor in editors
        for name in (*editor.entry.containers, *editor.entry.initContainers)
    }
    added_mounts = {
        (c, p) for e in editors for c, paths in e.entry.volumeMounts.items() for p in paths
    }
    spec = pod.spec
    running = [("containers", c) for c in spec.get("containers") or []]
    running += [
        ("initContainers", c)
        for c in spec.get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    ]
    owners: dict[tuple[Any, str], str] = {}
    for key, container in running:
        name = container["name"]
        for port in container.get("ports") or []:
            number = (port.get("containerPort"), str(port.get("protocol", "TCP")))
            other = owners.setdefault(number, name)
            editor = by_name.get(name) or by_name.get(other)
            if other != name and editor is not None:
                message = (
                    f'{editor.kind} "{editor.name}": containers "{other}" and "{name}" both listen '
                    f"on port {number[0]}/{number[1]}; containers of a pod share one network "
                    "namespace"
                )
                field = pod.field(f"spec.{key}[name={name}].ports")
                results.append(Result(message, "error", pod.workload, field, editor.tags))
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    for container in all_containers(spec):
        for mount in container.get("volumeMounts") or []:
            ours = (
                container.get("name") in by_name
                or (container.get("name"), mount.get("mountPath")) in added_mounts
            )
            if mount.get("name") not in volumes and ours:
                results.append(
                    Result(
                        f'container "{container["name"]}" mounts volume "{mount.get("name")}", '
                        "which the pod does not have: add it to the pattern's volumes",
                        "error",
                        pod.workload,
                        pod.field("spec.volumes"),
                    )
                )
    return results


def _pod_security(
    pod: PodTemplate, namespace: str, enforced: dict[str, str], editors: list[PodEditor]
) -> list[Result]:
    """Errors for what the namespace's enforced Pod Security level would reject.

    Each names the config that injected the item; a problem of the app's own containers, none.
    """
    results = []
    level = enforced.get(namespace)
    metadata = pod.template.get("metadata") or {}
    if level in ("baseline", "restricted"):
        for field, problem in violations(pod.spec, level, metadata):
            message = f'namespace "{namespace}" enforces Pod Security "{level}": {problem}'
            editor = _injector(field, editors)
            if editor is None:
                results.append(Result(message, "error", pod.workload, pod.field(field)))
                continue
            message = f'{editor.kind} "{editor.name}": {message}'
            results.append(Result(message, "error", pod.workload, pod.field(field), editor.tags))
    return results


def _injector(field: str, editors: list[PodEditor]) -> PodEditor | None:
    """The editor whose config injected the container or volume a field path names."""
    match = re.match(r"spec\.(containers|initContainers|volumes)\[name=([^\]]+)\]", field)
    if match is None:
        return None
    section, name = match.groups()
    for editor in editors:
        if editor.entry and name in getattr(editor.entry, section):
            return editor
    return None


def _changes_resources(entry: Entry) -> bool:
    """Whether an injection changes what the pod reserves (containers, or their resources)."""
    return bool(
        entry.containers
        or entry.initContainers
        or any("resources" in fields for fields in entry.fieldsWas.values())
    )


def _effective_resources(pod: PodTemplate) -> list[Result]:
    """What the scheduler will reserve for the pod, now that krm-fn changed it."""
    try:
        requests, limits = effective(pod.spec, "requests"), effective(pod.spec, "limits")
    except ValueError as err:
        return [Result(str(err), "error", pod.workload, pod.field("spec"))]
    message = f"effective pod requests: {requests.describe()}; limits: {limits.describe()}"
    dominated = requests.dominated_by_init()
    if dominated:
        by = ", ".join(f"{n} by init container {c}" for n, c in sorted(dominated.items()))
        message += f" (requests set by init containers: {by})"
    return [Result(message, "info", pod.workload, pod.field("spec"))]
