"""The admission answer: AdmissionReview in, AdmissionReview out, a pure function on the core.

No I/O: the server (server.py) reads the request and writes the answer; everything between is
here and in the core, the same `core.apply` that `krm-fn run`, kustomize and kpt call.
"""

import base64
import os
import re
from dataclasses import dataclass, field
from typing import Any

from krm_fn.config import API_VERSION, NOT_AT_ADMISSION, ConfigError, Instance, load_config
from krm_fn.core import apply, targeted
from krm_fn.results import Result
from krm_fn.selection import selects
from krm_fn.webhook.patch import json_patch
from krm_fn.workloads import PodTemplate
from krm_fn.yamlio import InputError, clone, load_all

REVIEW_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
MAX_WARNINGS = 16
MAX_WARNING_LENGTH = 256  # what the API server passes on to clients
CRONJOB_JOB = re.compile(r"^(.+)-\d+$")  # a Job a CronJob made: <cronjob>-<scheduled minute>


class ConfigDirError(Exception):
    """A config directory that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ConfigSet:
    """The configs of one generation of the config directory, validated, in file order."""

    instances: list[Instance]
    files: dict[str, str] = field(default_factory=dict)  # instance key -> file name
    generation: int = 1


def config_files(directory: str) -> list[str]:
    """The config files of a directory (a mounted ConfigMap: its keys; never its ..data)."""
    names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    return [
        n
        for n in names
        if n.endswith((".yaml", ".yml", ".json")) and os.path.isfile(os.path.join(directory, n))
    ]


def load_config_dir(directory: str, generation: int = 1) -> ConfigSet:
    """Every config in the directory; ConfigDirError lists each problem with file and field."""
    problems: list[str] = []
    instances: list[Instance] = []
    files: dict[str, str] = {}
    try:
        names = config_files(directory)
    except OSError as err:
        raise ConfigDirError(f"cannot read the config directory {directory}: {err}") from None
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                documents = load_all(handle.read(), name)
        except (OSError, UnicodeDecodeError, InputError) as err:
            problems.append(f"{name}: {err}")
            continue
        for index, document in enumerate(documents):
            where = name if len(documents) == 1 else f"{name}[{index}]"
            try:
                loaded = load_config(document)
            except ConfigError as err:
                problems += [f"{where}: {_field(r)}{r.message}" for r in err.results]
                continue
            for instance in loaded:
                problem = admission_problem(instance)
                if problem:
                    problems.append(f"{where}: {instance.kind} {instance.name!r}: {problem}")
                elif instance.key in files:
                    problems.append(f"{where}: {instance.key} is also in {files[instance.key]}")
                else:
                    files[instance.key] = where
                    instances.append(instance)
    if problems:
        raise ConfigDirError("; ".join(problems))
    if not instances:
        raise ConfigDirError(f"{directory} holds no config ({API_VERSION}, any kind)")
    return ConfigSet(instances, files, generation)


def _field(result: Result) -> str:
    return f"{result.field}: " if result.field else ""


def admission_problem(instance: Instance) -> str | None:
    """Why a config cannot be applied at admission, if it cannot."""
    reason = NOT_AT_ADMISSION.get(instance.kind)
    if reason:
        return f"not at admission: {reason}"
    spec: Any = instance.spec
    if instance.kind == "Adapter" and (spec.services or spec.monitor != "none"):
        return (
            "not at admission with services: true or a monitor: a webhook sees one pod and "
            "cannot add ports to Services or create monitors; set services: false and "
            "monitor: none (prometheusAnnotations: true lets Prometheus find the pod), or apply "
            "it at build time"
        )
    if spec.pod_template_paths:
        return "podTemplatePaths mean nothing at admission: the webhook sees pods"
    return None


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


@dataclass
class Answer:
    """The response, and what the server counts: the outcome and its reason."""

    review: dict[str, Any]
    outcome: str  # injected, unchanged, denied, error
    reason: str = ""
    patch_bytes: int = 0


def answer(body: Any, configs: ConfigSet) -> Answer:
    """Answer one AdmissionReview (v1 or v1beta1, in the version asked)."""
    if not isinstance(body, dict) or body.get("apiVersion") not in REVIEW_VERSIONS:
        raise ValueError(f"not an AdmissionReview ({', '.join(REVIEW_VERSIONS)})")
    request = body.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("uid"), str):
        raise ValueError("an AdmissionReview needs request.uid")
    respond = _responder(body["apiVersion"], request["uid"])
    kind = request.get("kind") or {}
    if kind.get("kind") != "Pod" or kind.get("group", "") != "":
        return Answer(respond(True), "unchanged", "not a pod")
    if request.get("operation", "CREATE") != "CREATE":
        return Answer(respond(True), "unchanged", "not a create")
    pod = request.get("object")
    if not isinstance(pod, dict):
        raise ValueError("request.object is not a pod")
    namespace = str(request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or "")
    working = clone(pod)
    meta = working.get("metadata")
    if not isinstance(meta, dict):
        meta = working["metadata"] = {}
    had_namespace = "namespace" in meta
    meta["namespace"] = namespace
    candidates = owners(working, namespace)

    def selector(instance: Instance, template: PodTemplate) -> bool:
        if not instance.spec.targets:
            return True
        return any(selects(t, c) for t in instance.spec.targets for c in candidates)

    selected = [i for i in configs.instances if selector(i, PodTemplate(working, working, ""))]
    try:
        results = apply([working], configs.instances, selector, notes=False, restore=False)
    except Exception as err:  # a bug in krm-fn: deny (or admit) as an error, never a 500
        from krm_fn import core

        if core.RAISE_INTERNAL_ERRORS:
            raise
        results = [Result(f"internal error ({type(err).__name__}: {err})", "error")]
    errors = [r for r in results if r.severity == "error"]
    warnings = [_warning(r) for r in results if r.severity == "warning"]
    if errors:
        messages = [_warning(r) for r in errors]
        admit = (
            selected
            and all(i.spec.on_error == "admit" for i in selected)
            and all(r.tags.get("config") for r in errors)
        )
        if admit:
            return Answer(
                respond(True, warnings=messages + warnings), "unchanged", "error admitted"
            )
        return Answer(respond(False, message="; ".join(messages), warnings=warnings), "denied")
    if not had_namespace:
        del working["metadata"]["namespace"]
    patch = json_patch(pod, working)
    if patch == b"[]":
        reason = (
            "opted out"
            if any(r.message.startswith("skipped:") for r in results)
            else ("already injected" if selected else "not selected")
        )
        return Answer(respond(True, warnings=warnings), "unchanged", reason)
    encoded = base64.b64encode(patch).decode()
    review = respond(True, warnings=warnings, patch=encoded)
    return Answer(review, "injected", patch_bytes=len(patch))


def _warning(result: Result) -> str:
    text = result.to_text()
    return text if len(text) <= MAX_WARNING_LENGTH else text[: MAX_WARNING_LENGTH - 3] + "..."


def _responder(api_version: str, uid: str) -> Any:
    def respond(
        allowed: bool,
        message: str | None = None,
        warnings: list[str] | None = None,
        patch: str | None = None,
    ) -> dict[str, Any]:
        response: dict[str, Any] = {"uid": uid, "allowed": allowed}
        if patch is not None:
            response["patchType"] = "JSONPatch"
            response["patch"] = patch
        if message is not None:
            response["status"] = {
                "code": 403,
                "reason": "Forbidden",
                "message": f"krm-fn: {message}",
            }
        if warnings:
            response["warnings"] = warnings[:MAX_WARNINGS]
        return {"apiVersion": api_version, "kind": "AdmissionReview", "response": response}

    return respond


__all__ = ["Answer", "ConfigDirError", "ConfigSet", "answer", "load_config_dir", "targeted"]
