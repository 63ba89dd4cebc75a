"""The admission answer: AdmissionReview in, AdmissionReview out, a pure function on the core.

No I/O: the server (server.py) reads the request and writes the answer; everything between is
here and in the core, the same `core.apply` that `krm-fn run`, kustomize and kpt call.
"""

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from krm_fn.configfiles import (
    ConfigDirError,
    ConfigSet,
    config_files,
    load_config_files,
)
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.admission import (
    CONTAINER_LISTS,
    MAX_CONTAINERS,
    admission_problem,
    inject,
)
from krm_fn.engine.deadline import NONE as NO_DEADLINE
from krm_fn.engine.deadline import Deadline, DeadlineExceeded
from krm_fn.engine.order import keep_order
from krm_fn.kinds import API_VERSION
from krm_fn.kube.shapes import METADATA, problems
from krm_fn.manifests.results import Result
from krm_fn.webhook.jsoncodec import copy, loads
from krm_fn.webhook.patch import json_patch

if TYPE_CHECKING:
    from krm_fn.webhook.answers import AnswerCache

REVIEW_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
MAX_WARNINGS = 16
MAX_WARNING_LENGTH = 256  # what the API server passes on to clients
# Objects and lists a review may hold before it is parsed at all: a real pod has hundreds; the
# bound keeps the memory and the time of one review small (counted as `{` and `[` in the bytes,
# strings included: never fewer than there are).
MAX_NODES = 20_000
# Where a review says its version and uid: enough to refuse one that is not parsed, in its own
# version and with its uid.
REVIEW_VERSION = re.compile(rb'"apiVersion"\s*:\s*"(admission\.k8s\.io/v1(?:beta1)?)"')
REVIEW_UID = re.compile(rb'"request"\s*:\s*\{\s*"uid"\s*:\s*"([0-9A-Za-z-]{1,64})"')


class ReviewError(ValueError):
    """A request that is not an AdmissionReview krm-fn can answer: the server says 400."""


def load_config_dir(directory: str, generation: int = 1) -> ConfigSet:
    """Every config in the directory; ConfigDirError lists each problem with file and field."""
    try:
        names = config_files(directory)
    except OSError as err:
        raise ConfigDirError(f"cannot read the config directory {directory}: {err}") from None
    if not names:
        raise ConfigDirError(f"{directory} holds no config ({API_VERSION}, any kind)")
    named = [(name, os.path.join(directory, name)) for name in names]
    return load_config_files(named, admission_problem, generation)


@dataclass
class Answer:
    """The response, and what the server counts: the outcome and its reason."""

    review: dict[str, Any]
    outcome: str  # injected, unchanged, denied, error
    reason: str = ""
    patch: bytes = b""  # the JSON patch, as the response holds it in base64
    cached: bool = False  # given again: the same review bytes answered before (answers.py)

    @property
    def patch_bytes(self) -> int:
        """The patch's size."""
        return len(self.patch)


def answer_body(
    body: bytes,
    configs: ConfigSet,
    deadline: float | None = None,
    cache: "AnswerCache | None" = None,
) -> Answer:
    """Answer the bytes of a request: bounded before they are parsed, then `answer`.

    With a cache, an answer to the same bytes but for the uid, under the same configs, is
    given again (answers.py).
    """
    nodes = body.count(b"{") + body.count(b"[")
    if nodes > MAX_NODES:
        return _unparsed(
            body,
            f"the pod is larger than krm-fn answers ({MAX_NODES:,} objects and lists at most)",
            "too large",
        )
    try:
        review = loads(body)
    except RecursionError:
        raise ReviewError("nested too deeply") from None
    except ValueError as err:
        raise ReviewError(f"not JSON ({err})") from None
    if cache is None:
        return answer(review, configs, deadline)
    key = cache.key(body, review, configs)
    given = cache.get(key, configs) if key is not None else None
    if given is not None:
        return given
    fresh = answer(review, configs, deadline)
    if key is not None:
        cache.put(key, configs, fresh)
    return fresh


def over_budget(body: bytes) -> Answer:
    """The answer when the time budget ran out: denied as an error, in the review's version."""
    return _unparsed(body, "no answer within the time budget", "time budget", "error")


def _unparsed(body: bytes, message: str, reason: str, outcome: str = "denied") -> Answer:
    version, uid = REVIEW_VERSION.search(body[:4096]), REVIEW_UID.search(body[:4096])
    if version is None or uid is None:
        raise ReviewError(message)
    respond = _responder(version.group(1).decode(), uid.group(1).decode())
    return Answer(respond(False, message=message), outcome, reason)


def answer(
    body: Any,
    configs: ConfigSet,
    deadline: float | None = None,
    raise_internal_errors: bool = False,
) -> Answer:
    """Answer one AdmissionReview (v1 or v1beta1, in the version asked).

    ReviewError for what is not a review of the shape the API server sends; past `deadline`
    (time.monotonic()), the work stops and the pod is denied as an error. A bug in krm-fn is an
    error answer, never a 500 (`raise_internal_errors`: it raises, for tests).
    """
    if not isinstance(body, dict) or body.get("apiVersion") not in REVIEW_VERSIONS:
        raise ReviewError(f"not an AdmissionReview ({', '.join(REVIEW_VERSIONS)})")
    request = body.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("uid"), str):
        raise ReviewError("an AdmissionReview needs request.uid")
    respond = _responder(body["apiVersion"], request["uid"])
    kind = request.get("kind")
    if not isinstance(kind, dict) or not all(isinstance(v, str) for v in kind.values()):
        raise ReviewError("request.kind is not {group, version, kind}")
    for name in ("operation", "namespace"):
        if not isinstance(request.get(name, ""), str):
            raise ReviewError(f"request.{name} is not a string")
    if kind.get("kind") != "Pod" or kind.get("group", "") != "":
        return Answer(respond(True), "unchanged", "not a pod")
    if request.get("operation", "CREATE") != "CREATE":
        return Answer(respond(True), "unchanged", "not a create")
    pod = request.get("object")
    if not isinstance(pod, dict) or (pod.get("apiVersion"), pod.get("kind")) != ("v1", "Pod"):
        raise ReviewError("request.object is not a v1 Pod")
    shape = problems(pod.get("metadata"), METADATA, "metadata")
    metadata = pod.get("metadata")
    references = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    if references is not None and not (
        isinstance(references, list) and all(isinstance(r, dict) for r in references)
    ):
        shape.append(("metadata.ownerReferences", "must be a list of mappings"))
    if shape:
        raise ReviewError("request.object." + "; ".join(f"{f}: {m}" for f, m in shape))
    spec = pod.get("spec")
    listed = spec if isinstance(spec, dict) else {}
    count = sum(len(v) for k in CONTAINER_LISTS if isinstance(v := listed.get(k), list))
    if count > MAX_CONTAINERS:
        message = (
            f"the pod has {count:,} containers, init containers and ephemeral containers; "
            f"krm-fn answers pods with at most {MAX_CONTAINERS:,}"
        )
        return Answer(respond(False, message=message), "denied", "too large")
    namespace = str(request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or "")
    budget = Deadline(deadline)
    try:
        working, results, selected = inject(
            pod, namespace, configs.instances, budget, raise_internal_errors, copy
        )
    except DeadlineExceeded:
        return _over_budget(respond)
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
    if "namespace" not in (pod.get("metadata") or {}):  # results, which name it, are written
        del working["metadata"]["namespace"]
    try:
        if RECORD_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {}):
            keep_order(working, pod, budget)  # reinvoked: an empty patch, not a reorder
            if settled(working, pod, budget):  # made from an injected template, or seen again
                working = pod
        budget.check()
    except DeadlineExceeded:
        return _over_budget(respond)
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
    return Answer(review, "injected", patch=patch)


def _over_budget(respond: Any) -> Answer:
    return Answer(
        respond(False, message="no answer within the time budget"), "error", "time budget"
    )


def settled(working: dict[str, Any], pod: dict[str, Any], deadline: Deadline = NO_DEADLINE) -> bool:
    """Whether injecting again only gave the pod's own items back, as krm-fn left them.

    A pod made from a template injected at build time (or seen again after another webhook)
    holds krm-fn's items with the API server's defaults filled in, and the service account
    token's volume among them; injecting again gives the same record and the same items
    without those defaults, placed after the token's volume. The pod is already what the
    configs make of it: an empty patch says so (and the webhook's metrics count it unchanged).
    """
    from krm_fn.kube.defaults import without_defaults

    old_meta, new_meta = pod.get("metadata") or {}, working.get("metadata") or {}
    if old_meta != new_meta:  # the record among the annotations: the same digests
        return False
    spec, before = working.get("spec"), pod.get("spec")
    if not isinstance(spec, dict) or not isinstance(before, dict):
        return False
    named = ("containers", "initContainers", "volumes")
    if {k: v for k, v in spec.items() if k not in named} != {
        k: v for k, v in before.items() if k not in named
    }:
        return False

    def items(holder: dict[str, Any], section: str) -> Any:
        listed = holder.get(section) or []
        if not all(isinstance(i, dict) for i in listed):
            return None
        by_name = {i.get("name"): without_defaults(section, i) for i in listed}
        return by_name if len(by_name) == len(listed) else None

    for section in named:
        deadline.check()
        new, old = items(spec, section), items(before, section)
        if new is None or new != old:
            return False
        if section != "volumes":  # containers run (init containers start) in their order
            order = [c.get("name") for c in spec.get(section) or []]
            if order != [c.get("name") for c in before.get(section) or []]:
                return False
    return True


def _warning(result: Result) -> str:
    """A result as the pod's author reads it: kubectl puts its own `Warning:` before it."""
    text = result.to_text().removeprefix(f"{result.severity}: ")
    return text if len(text) <= MAX_WARNING_LENGTH else text[: MAX_WARNING_LENGTH - 3] + "..."


def _responder(api_version: str, uid: str) -> Callable[..., dict[str, Any]]:
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


__all__ = [
    "Answer",
    "ConfigDirError",
    "ConfigSet",
    "ReviewError",
    "answer",
    "answer_body",
    "load_config_dir",
    "over_budget",
]
