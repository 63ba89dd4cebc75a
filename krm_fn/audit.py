"""`krm-fn audit`: which running pods are current, stale, missing their injection, or unverifiable.

Build time and admission write the same record into a pod, with a digest of every injected item
(record.py; digests leave out what the API server fills in, defaults.py). For each live pod and
each config that selects it (selected as the webhook selects: the pod, its controller and the
controller's owner), the audit compares what the config would inject now with what the record
says the pod got:

- **current**: the config, applied again, gives the same record entry;
- **stale**: it gives another one (an image bumped, an item added): the items that differ;
- **missing**: no entry (created while the webhook was down with failurePolicy Ignore, before
  the config, or opted out, which the pod's annotation tells);
- **unverifiable**: the record does not match the pod (hand-edited or forged): undoing the entry
  would be refused, as docs/engine.md "Trust" says.

Pods are grouped by their top owner (ReplicaSet -> Deployment, Job -> CronJob, StatefulSet,
DaemonSet; a pod without one stands for itself), and pods of one owner with the same template
are judged once. A pod's author writes its owner references: an owner is only ever one of the
listed objects, found by uid, of the kind the reference names, whose selector takes the pod (a
Deployment only through a ReplicaSet it controls), and names reach the API only as quoted path
segments and the report only with control characters escaped.

The `kubernetes` client is imported here and nowhere on the KRM function's or the webhook's
path. `--restart` restarts the owners of stale and missing pods as `kubectl rollout restart` does
(Deployments, StatefulSets, DaemonSets), in batches, only where the webhook selects the
namespace, only where the injection comes from admission (a template injected at build time is
restarted into the same pods: render it again instead), and never where the pods opt out.
"""

import hashlib
import json
import os
import re
import time
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from krm_fn.commands.arguments import Arguments

from krm_fn.editing.record import Entry, RecordError, read_record
from krm_fn.engine.config import Instance

STATES = ("current", "stale", "missing", "unverifiable")
PROBLEMS = ("stale", "missing", "unverifiable")
RESTARTABLE = {
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
}
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
NO_RECORD = (
    "no record of it: created before the config, or while the webhook was down or skipped it"
)
TOKEN_VOLUME = re.compile(r"kube-api-access-[a-z0-9]+")
REPORT_KIND = "AuditReport"
# What lists the audit reads, by kind: (API path, plural); owners are looked up among them.
OWNER_KINDS = {
    "ReplicaSet": ("/apis/apps/v1", "replicasets"),
    "Job": ("/apis/batch/v1", "jobs"),
    "CronJob": ("/apis/batch/v1", "cronjobs"),
    "Deployment": ("/apis/apps/v1", "deployments"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets"),
}
# Who may own whom: a pod's controller, and that controller's own controller.
OWNS = {
    "Pod": ("ReplicaSet", "Job", "StatefulSet", "DaemonSet"),
    "ReplicaSet": ("Deployment",),
    "Job": ("CronJob",),
}
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
OPTED_OUT = "opted out"


class ClusterError(Exception):
    """The cluster could not be read or written: one line, naming the context."""


@dataclass
class Finding:
    """What one config is to one pod: a state and, for the problems, why."""

    config: str
    state: str
    detail: str = ""


@dataclass
class Workload:
    """A row of the report: a top owner, its pods, and per config the pods in each state."""

    namespace: str
    kind: str
    name: str
    pods: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    findings: dict[tuple[str, str, str], int] = field(default_factory=dict)
    built: set[str] = field(default_factory=set)  # configs whose record is in the template
    restart: str = ""

    @property
    def state(self) -> str:
        """The worst state of any of its pods; "not selected" when no config selects them."""
        for state in ("unverifiable", "missing", "stale", "current"):
            if self.counts[state]:
                return state
        return "not selected"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form (docs/audit.md)."""
        found = [
            {"config": config, "state": state, "detail": detail, "pods": count}
            for (config, state, detail), count in sorted(self.findings.items())
        ]
        row: dict[str, Any] = {
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "state": self.state,
            "pods": self.pods,
            "counts": dict(self.counts),
            "configs": found,
        }
        if self.restart:
            row["restart"] = self.restart
        return row


# judging one pod ----------------------------------------------------------------------------
def judge(pod: dict[str, Any], instances: list[Instance]) -> list[Finding]:
    """What each config that selects the pod is to it (none: not selected)."""
    from krm_fn.editing.pod_editor import OPT_OUT_ANNOTATION
    from krm_fn.engine.core import Options, apply, uninject
    from krm_fn.kube.selection import selects
    from krm_fn.kube.workloads import owners
    from krm_fn.manifests.yamlio import clone

    meta = pod.get("metadata") or {}
    namespace = str(meta.get("namespace") or "")
    candidates = owners(pod, namespace)
    selected = [
        i
        for i in instances
        if not i.spec.targets or any(selects(t, c) for t in i.spec.targets for c in candidates)
    ]
    if not selected:
        return []
    try:
        record = read_record(pod)
    except RecordError as err:
        return [
            Finding(i.key, "unverifiable", f"the record is not krm-fn's: {err}") for i in selected
        ]
    opted_out = str((meta.get("annotations") or {}).get(OPT_OUT_ANNOTATION, "")).lower() == "false"
    findings = []
    for instance in selected:
        key = instance.key
        if key not in record:
            if opted_out and instance.spec.pod_opt_out:
                findings.append(
                    Finding(key, "missing", f'{OPTED_OUT} ({OPT_OUT_ANNOTATION}: "false")')
                )
            else:
                findings.append(Finding(key, "missing", NO_RECORD))
            continue
        errors = [r for r in uninject([clone(pod)], [key]) if r.severity == "error"]
        if errors:
            findings.append(Finding(key, "unverifiable", _message(errors[0].message)))
            continue
        again = clone(pod)
        every_pod = Options(
            selector=lambda i, t: True, notes=False, restore=False, report_unmatched=False
        )
        results = apply([again], [instance], every_pod)
        failed = [r for r in results if r.severity == "error"]
        if failed:
            findings.append(
                Finding(key, "stale", f"the config now fails: {_message(failed[0].message)}")
            )
            continue
        now = read_record(again).get(key, Entry())
        differences = differ(record[key], now)
        if differences:
            findings.append(Finding(key, "stale", "; ".join(differences)))
        else:
            findings.append(Finding(key, "current"))
    return findings


def _message(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."


def differ(old: Entry, new: Entry) -> list[str]:
    """What the config would inject now that the record does not say the pod got."""
    from krm_fn.editing.record import entry_items

    before = {(i.field, i.owner, i.name): d for i, d in entry_items(old)}
    after = {(i.field, i.owner, i.name): d for i, d in entry_items(new)}
    found = []
    for item in sorted(before.keys() | after.keys(), key=lambda k: tuple(str(p) for p in k)):
        where, owner, name = item
        label = f"{where} {name}" + (f" of {owner}" if owner else "")
        if item not in after:
            found.append(f"{label}: no longer injected")
        elif item not in before:
            found.append(f"{label}: would be added")
        elif before[item] != after[item]:
            found.append(f"{label}: changed")
    if not found and old.to_json() != new.to_json():
        found.append("fields it sets changed")
    return found


# the cluster ---------------------------------------------------------------------------------
@dataclass
class Cluster:
    """What the audit reads: pods, their owners, namespaces' labels, the webhook's selector."""

    pods: list[dict[str, Any]]
    owners: dict[str, dict[str, Any]]  # uid -> a listed owner (its `kind` set), of OWNER_KINDS
    namespaces: dict[str, dict[str, str]]  # name -> labels
    templates: dict[tuple[str, str, str], dict[str, Any]]  # (kind, ns, name) -> pod template


def top_owner(pod: dict[str, Any], owners: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(kind, name) of what the pod belongs to: ReplicaSet -> Deployment, Job -> CronJob.

    Only through listed objects: a reference whose uid is not one of the kind it names, in the
    pod's namespace, with a selector that takes the pod, is not followed (the pod stands for
    itself), so a pod cannot make another workload its owner.
    """
    meta = pod.get("metadata") or {}
    kind, name, found = "Pod", str(meta.get("name", "")), pod
    while True:
        owner = _owner(found, owners)
        if owner is None:
            return kind, name
        kind, name, found = owner["kind"], str(owner["metadata"]["name"]), owner


def _owner(child: dict[str, Any], owners: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The listed object that controls child, if its reference and the object agree."""
    from krm_fn.kube.selection import matches_label_selector

    meta = child.get("metadata") or {}
    reference = next(
        (
            r
            for r in meta.get("ownerReferences") or []
            if isinstance(r, dict) and r.get("controller") is True
        ),
        None,
    )
    owner = owners.get(str(reference.get("uid"))) if reference else None
    if reference is None or owner is None:
        return None
    owner_meta = owner.get("metadata") or {}
    allowed = OWNS.get(str(child.get("kind", "Pod")), ())
    same = (
        owner.get("kind") == reference.get("kind")
        and owner["kind"] in allowed
        and owner_meta.get("name") == reference.get("name")
        and owner_meta.get("namespace") == meta.get("namespace")
    )
    selector = (owner.get("spec") or {}).get("selector")
    if owner.get("kind") == "CronJob":  # a CronJob has no selector: its Jobs carry its uid
        return owner if same else None
    return owner if same and matches_label_selector(selector, meta.get("labels") or {}) else None


def signature(pod: dict[str, Any]) -> str:
    """What judging a pod depends on, the same for the pods of one template."""
    meta = pod.get("metadata") or {}
    kept = {k: meta.get(k) for k in ("namespace", "labels", "annotations", "ownerReferences")}
    spec = {k: v for k, v in (pod.get("spec") or {}).items() if k != "nodeName"}
    text = json.dumps([kept, spec], sort_keys=True, default=str)
    return hashlib.sha256(TOKEN_VOLUME.sub("kube-api-access-", text).encode()).hexdigest()


def audit(
    cluster: Cluster, instances: list[Instance], not_selected: bool = False
) -> list[Workload]:
    """One row per top owner of a selected pod (any pod: `not_selected`), by namespace and name."""
    rows: dict[tuple[str, str, str], Workload] = {}
    judged: dict[str, list[Finding]] = {}
    for pod in cluster.pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        namespace = str(meta.get("namespace", ""))
        kind, name = top_owner(pod, cluster.owners)
        key = signature(pod)
        if key not in judged:
            judged[key] = judge(pod, instances)
        findings = judged[key]
        if not findings and not not_selected:
            continue
        row = rows.setdefault((namespace, kind, name), Workload(namespace, kind, name))
        row.pods += 1
        if not findings:
            continue
        worst = next(
            (
                s
                for s in ("unverifiable", "missing", "stale")
                if any(f.state == s for f in findings)
            ),
            "current",
        )
        row.counts[worst] += 1
        for finding in findings:
            index = (finding.config, finding.state, finding.detail)
            row.findings[index] = row.findings.get(index, 0) + 1
    for (namespace, kind, name), row in rows.items():
        template = cluster.templates.get((kind, namespace, name))
        if template is not None:
            try:
                row.built = set(read_record(template))
            except RecordError:
                row.built = set()
    return [rows[k] for k in sorted(rows)]


# restarting ----------------------------------------------------------------------------------
def restart_plan(rows: list[Workload], selected: Callable[[str], bool] | None) -> list[Workload]:
    """The rows to restart; each row's `restart` says what is done with it, and why not."""
    plan = []
    for row in rows:
        if row.state not in ("stale", "missing"):
            continue
        if row.kind not in RESTARTABLE:
            if row.kind in ("Job", "CronJob"):
                row.restart = f"not restarted: a {row.kind}'s next pods get it"
            else:
                row.restart = f"not restarted: a {row.kind}; recreate it"
            continue
        problems = [(s, d) for (_, s, d), _n in row.findings.items() if s != "current"]
        if all(s == "missing" and d.startswith(OPTED_OUT) for s, d in problems):
            row.restart = "not restarted: its pods opt out; a restart would not inject them"
            continue
        built = sorted(
            c for (c, s, _), _n in row.findings.items() if s == "stale" and c in row.built
        )
        if built:
            row.restart = (
                f"not restarted: {', '.join(built)} is in the template (build time): "
                "render and apply it again"
            )
            continue
        if selected is None:
            row.restart = "not restarted: the webhook's configuration was not found"
            continue
        if not selected(row.namespace):
            row.restart = "not restarted: the webhook skips this namespace"
            continue
        row.restart = "restart"
        plan.append(row)
    return plan


def namespace_selector(webhook: dict[str, Any]) -> Callable[[dict[str, str]], bool]:
    """Whether a namespace's labels pass every webhook's namespaceSelector (krm-fn's own)."""
    from krm_fn.kube.selection import matches_label_selector

    selectors = [w.get("namespaceSelector") or {} for w in webhook.get("webhooks") or []]
    return lambda labels: all(matches_label_selector(s, labels) for s in selectors)


# the command ---------------------------------------------------------------------------------
def load_instances(paths: list[str]) -> list[Instance]:
    """The configs of files and directories (as the webhook reads its directory)."""
    from krm_fn.configfiles import ConfigDirError, config_files, load_config_files

    named: list[tuple[str, str]] = []
    for path in paths:
        if os.path.isdir(path):
            files = [os.path.join(path, name) for name in config_files(path)]
            named += [(file, file) for file in files]
        elif os.path.isfile(path):
            named.append((path, path))
        else:
            raise ConfigDirError(f"{path}: no such file or directory")
    return load_config_files(named).instances


def read_cluster(options: "Arguments") -> tuple[Any, Cluster, dict[str, Any] | None]:
    """The API client and what the audit reads; ClusterError naming the context if it fails."""
    try:
        import kubernetes
    except ImportError:
        raise ClusterError(
            "the kubernetes package is missing: pip install 'krm-fn[audit]'"
        ) from None
    context = options.context or "the current context"
    try:
        client = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=options.kubeconfig, context=options.context
        )
    except Exception as err:  # a missing file, an unknown context: the loader's own message
        raise ClusterError(f"{context}: cannot load the kubeconfig: {_first_line(err)}") from None

    def get(path: str, query: dict[str, str] | None = None) -> Any:
        status, data = call(client, context, "GET", path, query)
        if status == 404:
            return None
        if status != 200:
            raise ClusterError(f"{context}: GET {path}: {status} {_reason(data)}")
        return json.loads(data)

    def listed(path: str, kind: str, query: dict[str, str] | None = None) -> list[Any]:
        """Every item of a list, a page at a time (its `kind` set: list items have none)."""
        items: list[Any] = []
        token = ""
        while True:
            page = get(
                path,
                {
                    **(query or {}),
                    "limit": str(options.chunk_size),
                    **({"continue": token} if token else {}),
                },
            )
            if page is None:
                return items
            items += page.get("items") or []
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                break
        for item in items:
            item["kind"] = kind
        return items

    namespace = ""  # every namespace
    if not options.all_namespaces:
        namespace = options.namespace or _context_namespace(kubernetes, options) or "default"
        options.namespace = namespace
        if not DNS_SUBDOMAIN.fullmatch(namespace):
            raise ClusterError(f"{context}: {namespace!r} is not a namespace name")
    query = {"labelSelector": options.selector} if options.selector else {}
    scope = "" if options.all_namespaces else f"/namespaces/{segment(namespace)}"
    pods = listed(f"/api/v1{scope}/pods", "Pod", query)
    for pod in pods:
        pod["apiVersion"] = "v1"
    owners = {}
    templates = {}
    for kind, (api, plural) in OWNER_KINDS.items():
        for owner in listed(f"{api}{scope}/{plural}", kind):
            meta = owner["metadata"]
            owners[meta["uid"]] = owner
            if kind in RESTARTABLE:
                templates[(kind, meta["namespace"], meta["name"])] = owner["spec"]["template"]
    if options.all_namespaces:
        namespaces = listed("/api/v1/namespaces", "Namespace")
    else:
        one = get(f"/api/v1/namespaces/{segment(namespace)}")
        namespaces = [one] if one else []
    labels = {n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in namespaces}
    webhook = get(
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/"
        + segment(options.webhook)
    )
    return client, Cluster(pods, owners, labels, templates), webhook


def segment(name: str) -> str:
    """A name as one segment of a URL path: nothing in it can make another path."""
    return urllib.parse.quote(name, safe="")


def _context_namespace(kubernetes: Any, options: "Arguments") -> str:
    """The namespace the kubeconfig's context names, as kubectl takes it."""
    try:
        contexts, current = kubernetes.config.list_kube_config_contexts(options.kubeconfig)
    except Exception:
        return ""
    chosen = next((c for c in contexts if c.get("name") == options.context), current)
    return str(((chosen or {}).get("context") or {}).get("namespace") or "")


def call(
    client: Any,
    context: str,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: Any = None,
    content_type: str | None = None,
) -> tuple[int, bytes]:
    """One request with the client's credentials: its status and body."""
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        method, url, headers, body, _ = client.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = client.call_api(method, url, header_params=headers, body=body)
        response.read()
    except Exception as err:  # the connection, TLS, the credentials: the client's message
        raise ClusterError(f"{context}: {_first_line(err)}") from None
    return int(response.status), bytes(response.data or b"")


def _reason(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return data[:300].decode(errors="replace")


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def restart(client: Any, rows: list[Workload], options: "Arguments", stderr: TextIO) -> None:
    """Patch the template annotation kubectl rollout restart sets, in batches."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
    context = options.context or "the current context"
    for index, row in enumerate(rows):
        if index and index % options.batch_size == 0:
            time.sleep(options.batch_pause)
        if not (DNS_SUBDOMAIN.fullmatch(row.namespace) and DNS_SUBDOMAIN.fullmatch(row.name)):
            row.restart = "not restarted: not a name the API server gives an object"
            continue
        path = (
            f"/apis/apps/v1/namespaces/{segment(row.namespace)}/{RESTARTABLE[row.kind]}/"
            f"{segment(row.name)}"
        )
        status, data = call(
            client,
            context,
            "PATCH",
            path,
            body=body,
            content_type="application/strategic-merge-patch+json",
        )
        if status != 200:
            row.restart = f"restart failed: {status} {_reason(data)}"
            continue
        row.restart = "restarted"
        stderr.write(f"restarted {row.kind}/{row.namespace}/{row.name}\n")  # names the API gave


def table(rows: Iterable[Workload]) -> str:
    """The report for people: one line per workload, then what differs."""
    heading = ("NAMESPACE", "WORKLOAD", "STATE", "PODS", *(s.upper() for s in STATES))
    lines: list[tuple[str, ...]] = [heading]
    details = []
    for row in rows:
        counts = [str(row.counts[s]) for s in STATES]
        where = escaped(f"{row.kind}/{row.namespace}/{row.name}")
        lines.append(
            (
                escaped(row.namespace),
                escaped(f"{row.kind}/{row.name}"),
                row.state,
                str(row.pods),
                *counts,
            )
        )
        for (config, state, detail), count in sorted(row.findings.items()):
            if state != "current":
                details.append(
                    f"{where}: {escaped(config)}: {state} ({count} pods): {escaped(detail)}"
                )
        if row.restart:
            details.append(f"{where}: {escaped(row.restart)}")
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    return text + "\n" + "".join(f"{d}\n" for d in details)


def escaped(text: str) -> str:
    r"""Text for a terminal, where no name can disguise a line.

    Control and format characters (escape sequences, a carriage return, right-to-left marks)
    are written as `\xNN` or `\uNNNN`.
    """
    if text.isprintable():
        return text
    return "".join(
        c
        if c == " " or not unicodedata.category(c).startswith(("C", "Z"))
        else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


def main(options: "Arguments", stdout: TextIO, stderr: TextIO) -> int:
    """Run the audit; 0 all current, 1 anything else, 3 the cluster could not be read."""
    from krm_fn.configfiles import ConfigDirError
    from krm_fn.manifests import yamlio

    try:
        instances = load_instances(options.configs)
    except ConfigDirError as err:
        stderr.write(f"krm-fn audit: {err}\n")
        return 1
    try:
        client, cluster, webhook = read_cluster(options)
        rows = audit(cluster, instances, options.not_selected)
        if options.restart:
            selected = None
            if webhook is not None:
                passes = namespace_selector(webhook)
                selected = lambda ns: passes(cluster.namespaces.get(ns, {}))  # noqa: E731
            plan = restart_plan(rows, selected)
            if not options.dry_run:
                restart(client, plan, options, stderr)
    except ClusterError as err:
        stderr.write(f"krm-fn audit: {err}\n")
        return 3
    report = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": REPORT_KIND,
        "workloads": [r.to_json() for r in rows],
    }
    if options.output == "json":
        stdout.write(json.dumps(report, indent=2) + "\n")
    elif options.output == "yaml":
        stdout.write(yamlio.dump(report))
    else:
        stdout.write(table(rows))
    return 1 if any(r.state in PROBLEMS for r in rows) else 0
