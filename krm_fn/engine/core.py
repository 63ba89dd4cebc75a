"""The one core: apply pattern instances to resources. No I/O; every way in is a thin caller.

A run, for each pod template its configs select: undo what those configs injected last time
(verified, undo.py), inject again through a `PodEditor` per config, check the pod as a whole
(pod_checks.py), then write the record and add what the patterns generate (generated.py). Any
error puts every resource back as it was: a run is all or nothing.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from krm_fn.editing.pod_editor import OPT_OUT_ANNOTATION, PodEditor
from krm_fn.editing.record import RECORD_ANNOTATION, Entry, RecordError, read_record, write_record
from krm_fn.engine.config import ConfigError, Instance, load_config
from krm_fn.engine.deadline import NONE as NO_DEADLINE
from krm_fn.engine.deadline import Deadline, DeadlineExceeded
from krm_fn.engine.generated import GENERATED_BY, GeneratedResources
from krm_fn.engine.order import keep_order
from krm_fn.engine.pod_checks import (
    changes_resources,
    conflicts,
    effective_resources,
    isolation_warnings,
    malformed,
    may_weaken_isolation,
    pod_security,
)
from krm_fn.engine.service_records import ServiceRecords
from krm_fn.engine.undo import Undone, judge_undone, record_error, undo_pod
from krm_fn.kinds import PATTERNS
from krm_fn.kube.podsecurity import Policy, enforced_policy, weakened_isolation
from krm_fn.kube.selection import selects
from krm_fn.kube.services import ServiceIndex, is_service
from krm_fn.kube.shapes import SERVICE, problems
from krm_fn.kube.workloads import PodTemplate, flatten, pod_templates
from krm_fn.manifests.results import Result, Severity, config_tags, describe
from krm_fn.manifests.yamlio import clone, same

LOCAL_CONFIG = "config.kubernetes.io/local-config"

Selector = Callable[[Instance, PodTemplate], bool]


def passes_through(resource: dict[str, Any]) -> bool:
    """Kptfiles, local-config items, krm-fn configs and non-resources are never changed."""
    if not resource.get("apiVersion") or not resource.get("kind"):
        return True  # not a Kubernetes resource (a kustomization file kpt hands over)
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    api_version = str(resource.get("apiVersion", ""))
    return str(annotations.get(LOCAL_CONFIG, "")).lower() == "true" or api_version.startswith(
        ("kpt.dev/", "krm-fn.dev/")
    )


def targeted(instance: Instance, pod: PodTemplate, namespace: str = "") -> bool:
    """Whether an instance's targets select a pod's workload (no targets: every workload).

    `namespace` is that of a workload without one (`krm-fn run --namespace`, `helm -n`).
    """
    targets = instance.spec.targets
    return not targets or any(selects(t, pod.workload, namespace) for t in targets)


@dataclass(frozen=True)
class Options:
    """How a run goes. The defaults are what `krm-fn run` does."""

    # which instances a pod gets; None: the instances' targets on the workload (the webhook
    # maps targets through the pod's owners)
    selector: Selector | None = None
    # the namespace of resources without one (`krm-fn run --namespace`, `helm -n`): None, default
    namespace: str | None = None
    strict: bool = False  # a config that selects no workload is an error
    fail_on_warnings: bool = False  # every warning is an error (else: per config)
    # the patterns' info results and each pod's effective requests and limits (the webhook
    # shows no info: off, they are not written)
    notes: bool = True
    # keep copies to put the items back on an error and to keep unchanged ones byte for byte;
    # off for a caller that throws its items away on an error (the webhook: its patch is a diff)
    restore: bool = True
    # say that a config selects no workload (the webhook: one pod, the others are not its business)
    report_unmatched: bool = True
    uninjecting: bool = False  # removing injections is what was asked: info, not warnings
    deadline: Deadline = NO_DEADLINE  # past it, DeadlineExceeded (the webhook's time budget)
    # a bug in a pattern raises instead of becoming an error result naming it (KRM_FN_DEBUG=1)
    raise_internal_errors: bool = False


def transform(function_config: Any, items: list[Any], options: Options = Options()) -> list[Result]:
    """Load a config and apply it to items in place; config problems become error results.

    The library API: every way in (KRM function, plugin, `krm-fn run`, the webhook) calls this
    or, with configs loaded once, `apply`.
    """
    try:
        instances = load_config(function_config, options.raise_internal_errors)
    except ConfigError as err:
        return err.results
    return apply(items, instances, options)


def apply(
    items: list[Any], instances: list[Instance], options: Options = Options()
) -> list[Result]:
    """Apply every instance, in order, to the workloads of `items` (changed in place)."""
    return _Run(items, instances, options).run()


def uninject(items: list[Any], keys: list[str] | None = None) -> list[Result]:
    """Remove every recorded injection from items (or only those of `keys`).

    Verified as a run undoes before injecting; the resources they generated go too.
    """
    from krm_fn.editing.record import parse_record
    from krm_fn.patterns.validators import validate_PatternSpec

    found: dict[str, None] = {}
    for resource in flatten(items):
        for holder in [resource] + [p.template for p in pod_templates(resource)]:
            meta = holder.get("metadata") if isinstance(holder, dict) else None
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            if not isinstance(annotations, dict):
                continue
            with contextlib.suppress(RecordError):  # the run reports it, naming the resource
                found.update(dict.fromkeys(parse_record(annotations.get(RECORD_ANNOTATION))))
            if isinstance(annotations.get(GENERATED_BY), str):
                found[annotations[GENERATED_BY]] = None
    instances = []
    for key in (k for k in found if keys is None or k in keys):
        kind, _, name = key.partition("/")
        if kind not in PATTERNS:
            return [Result(f"a record names {key!r}, and {kind!r} is no krm-fn kind", "error")]
        no_targets = validate_PatternSpec({})  # every workload
        instances.append(Instance(kind, name, no_targets, _inject_nothing))
    return apply(items, instances, Options(selector=lambda i, p: False, uninjecting=True))


def _inject_nothing(spec: Any, pod: PodEditor) -> None:
    """What an instance that is being removed injects."""


class _Run:
    """One application of a config to a list of items."""

    def __init__(self, items: list[Any], instances: list[Instance], options: Options) -> None:
        self.namespace = options.namespace or "default"  # that of resources without one
        if options.selector is None:  # targets see a namespace only where one is named
            given = options.namespace or ""
            options = replace(options, selector=lambda i, p: targeted(i, p, given))
        self.options = options
        self.items = items
        self.instances = instances
        self.keys = [i.key for i in instances]
        self.results: list[Result] = []
        self.undid: set[int] = set()  # resources with an earlier injection undone in this run
        everything = flatten(items)
        resources = [r for r in everything if not passes_through(r)]
        self.workloads = resources
        self.services = [r for r in resources if is_service(r) and self._well_shaped(r)]
        self.service_index = ServiceIndex(self.services, self.namespace)
        self.service_records = ServiceRecords(
            self.keys, self._save, lambda s: id(s) in self.saved, self.results
        )
        self.generated = GeneratedResources(items, everything, instances, self._save, self.results)
        for resource in resources:
            self.generated.find(resource)
        self.enforced = _enforced_levels(resources)
        # a run is all or nothing: what it changes is saved first, and restored on any error
        self.items_before = list(items)
        self.saved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def run(self) -> list[Result]:
        """Undo and inject again in every selected pod; report, then commit or roll back."""
        for service in self.services:
            if self.service_records.undo(service):
                self.undid.add(id(service))
        matched: set[str] = set()
        custom_paths = [p for i in self.instances for p in i.spec.pod_template_paths]
        selector = self.options.selector
        assert selector is not None
        for resource in self.workloads:
            for pod in pod_templates(resource, custom_paths):
                self.options.deadline.check()
                chosen = [i for i in self.instances if selector(i, pod)]
                matched.update(i.key for i in chosen)
                self.results += self._apply_to_pod(pod, chosen)
        if self.options.report_unmatched and not self.options.uninjecting:
            self.results += self._unmatched(matched)
        self.service_records.finish()
        self.results += self.generated.changed_and_dropped()
        self._escalate_warnings()
        if any(r.severity == "error" for r in self.results):
            self._rollback()
            return [r for r in self.results if r.severity != "info"]
        self.generated.drop_stale()
        for resource, saved in self.saved.values():
            if id(resource) in self.undid:  # what was undone and injected again: where it was
                # (a pipeline's second pass gives the same bytes)
                keep_order(resource, saved, self.options.deadline)
        self._keep_unchanged_as_they_were()
        return self.results

    # pods ------------------------------------------------------------------------------
    def _apply_to_pod(self, pod: PodTemplate, chosen: list[Instance]) -> list[Result]:
        """Undo the configs' earlier injection, inject again, check the pod, then commit."""
        try:
            record = read_record(pod.template)
        except RecordError as err:
            return [record_error(pod.workload, pod.field("metadata.annotations"), err)]
        previous = [k for k in self.keys if k in record]
        if not chosen and not previous:
            return []
        problems = malformed(pod)
        if problems:
            return problems
        self._save(pod.workload)
        results: list[Result] = []
        undone = self._undo_pod(pod, record, previous, results)
        chosen = self._respect_opt_out(pod, chosen, results)
        editors = self._inject(pod, chosen, record, results)
        if editors is None:
            return results  # an internal error: the run is rolled back
        for key, done in undone.items():
            field = pod.field("metadata.annotations")
            asked = self.options.uninjecting
            results += judge_undone(pod.workload, field, key, done, record.get(key), asked)
        self.options.deadline.check()
        results += conflicts(pod, editors)
        if any(e.entry for e in editors):
            self.options.deadline.check()
            results += pod_security(pod, self._namespace(pod), self.enforced, editors)
            if self.options.notes and any(changes_resources(e.entry) for e in editors):
                results += effective_resources(pod)
        generated = [(e, r) for e in editors for r in e.generated]
        for editor, resource in generated:
            problem = self.generated.check(pod, editor.key, resource)
            results += [problem] if problem else []
        if any(r.severity == "error" for r in results):
            return results  # the whole run is rolled back
        write_record(pod.template, record)
        for editor in editors:
            for service, entry in editor.services.entries():
                self.service_records.add(service, editor.key, entry)
        for editor, resource in generated:
            self.generated.add(pod, editor.key, resource)
        return results

    def _undo_pod(
        self, pod: PodTemplate, record: dict[str, Entry], previous: list[str], results: list[Result]
    ) -> dict[str, Undone]:
        """Undo what `previous` injected, last first; warn where that weakens isolation."""
        undone: dict[str, Undone] = {}
        if not previous:
            return undone
        isolation = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
        self.undid.add(id(pod.workload))
        for key in reversed(previous):
            undone[key] = undo_pod(pod, key, record.pop(key), self.options.deadline)
            now = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
            for field, problem in sorted(now - isolation):  # what the record said was there
                message = f"undoing {key} weakens isolation: {field} {problem}"
                tags = config_tags(key)
                results.append(Result(message, "warning", pod.workload, pod.field(field), tags))
            isolation = now
        return undone

    def _respect_opt_out(
        self, pod: PodTemplate, chosen: list[Instance], results: list[Result]
    ) -> list[Instance]:
        """The instances a pod that opted out still gets: those it may not refuse."""
        if not _opted_out(pod):
            return chosen
        skipped = [i for i in chosen if i.spec.pod_opt_out]
        chosen = [i for i in chosen if not i.spec.pod_opt_out]
        if skipped:
            message = f'skipped: annotated {OPT_OUT_ANNOTATION}: "false"'
            results.append(Result(message, "info", pod.workload))
        if chosen:
            names = ", ".join(f"{i.kind}/{i.name}" for i in chosen)
            message = f'annotated {OPT_OUT_ANNOTATION}: "false", but {names} may not be refused'
            results.append(Result(message, "info", pod.workload))
        return chosen

    def _inject(
        self,
        pod: PodTemplate,
        chosen: list[Instance],
        record: dict[str, Entry],
        results: list[Result],
    ) -> list[PodEditor] | None:
        """Each instance's transform through an editor of its own; None after an internal error."""
        services = self.service_index.selecting(pod)
        for service in services:
            self._save(service)
        editors = []
        isolation = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
        level = self.enforced.get(self._namespace(pod))
        deadline = self.options.deadline
        for instance in chosen:
            deadline.check()
            editor = PodEditor(
                pod,
                instance.kind,
                instance.name,
                instance.key,
                record,
                services,
                deadline.check,
                self.options.notes,
            )
            try:
                instance.inject(instance.spec, editor)
                editor.seal()
            except DeadlineExceeded:
                raise
            except Exception as err:
                if self.options.raise_internal_errors:
                    raise
                results[:] = [_internal_error(pod, instance, err)]
                return None
            results += editor.results
            editors.append(editor)
            if not editor.entry:
                continue  # nothing injected (the record holds every change): nothing weakened
            record[instance.key] = editor.entry
            if not may_weaken_isolation(editor.entry):
                continue  # env, mounts, labels...: nothing the check looks at
            now = weakened_isolation(pod.spec, pod.template.get("metadata") or {})
            results += isolation_warnings(pod, editor, now - isolation, level)
            isolation = now
        return editors

    def _namespace(self, pod: PodTemplate) -> str:
        return str((pod.workload.get("metadata") or {}).get("namespace") or self.namespace)

    # Services --------------------------------------------------------------------------
    def _well_shaped(self, service: dict[str, Any]) -> bool:
        found = [Result(f"{m}", "error", service, f) for f, m in problems(service, SERVICE, "")]
        self.results += found
        return not found

    # reporting -------------------------------------------------------------------------
    def _unmatched(self, matched: set[str]) -> list[Result]:
        """A warning (or an error) for each config that selected no workload."""
        results = []
        for instance in self.instances:
            if instance.key in matched:
                continue
            strict = self.options.strict or instance.spec.fail_on_empty_match
            severity: Severity = "error" if strict else "warning"
            message = f'{instance.kind} "{instance.name}" matched no workload; {self._seen()}'
            message += self._namespace_hint(instance)
            results.append(Result(message, severity, tags=config_tags(instance.key)))
        return results

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

    def _escalate_warnings(self) -> None:
        """Warnings become errors: all of them, or those of configs with failOnWarnings."""
        strict = {i.key for i in self.instances if i.spec.fail_on_warnings}
        if not (strict or self.options.fail_on_warnings):
            return
        for result in self.results:
            if result.severity == "warning" and (
                self.options.fail_on_warnings or result.tags.get("record") in strict
            ):
                result.severity = "error"
                result.message += " (an error: warnings fail with failOnWarnings)"

    # all or nothing --------------------------------------------------------------------
    def _save(self, resource: dict[str, Any]) -> None:
        if self.options.restore and id(resource) not in self.saved:
            self.saved[id(resource)] = (resource, clone(resource))

    def _rollback(self) -> None:
        for resource, saved in self.saved.values():
            resource.clear()
            resource.update(saved)
        self.items[:] = self.items_before

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
            if id(resource) in unchanged and next(pod_templates(resource), None) is not None:
                kept.append(
                    Result("unchanged: everything the configs inject is in place", "info", resource)
                )
        self.results[:] = kept


def _enforced_levels(resources: list[dict[str, Any]]) -> dict[str, Policy]:
    """The Pod Security level and version each Namespace of the input enforces, by name."""
    levels = {}
    for resource in resources:
        meta = resource.get("metadata") or {}
        labels = meta.get("labels")
        policy = enforced_policy(labels) if isinstance(labels, dict) else None
        if resource.get("kind") == "Namespace" and policy is not None:
            levels[str(meta.get("name"))] = policy
    return levels


def _opted_out(pod: PodTemplate) -> bool:
    workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
    return "false" in (
        str(workload_annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
        str(pod.annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
    )


def _internal_error(pod: PodTemplate, instance: Instance, err: Exception) -> Result:
    message = (
        f'{instance.kind} "{instance.name}": internal error ({type(err).__name__}: {err}); '
        "this is a bug in krm-fn: please report it (KRM_FN_DEBUG=1 shows where)"
    )
    return Result(message, "error", pod.workload, pod.field("spec"))
