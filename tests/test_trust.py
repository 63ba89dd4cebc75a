"""What krm-fn trusts in its input, and what it verifies (docs/engine.md, "Trust").

Forged injection records and `generated-by` annotations, configs that weaken isolation, bugs in
patterns, and the correctness items a review of real manifests found. Every case runs the core
as the KRM function does and looks at the items and results it gives back.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, krm_fn_command, run

import krm_fn.engine.core
from krm_fn.editing.record import RECORD_ANNOTATION, digest
from krm_fn.framework import transform
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result

SHIPPER = EXAMPLES / "sidecar-log-shipper"
ANNOTATIONS_FIELD = f"spec.template.metadata.annotations.{RECORD_ANNOTATION}"


def shop() -> dict[str, Any]:
    deployment: dict[str, Any] = yamlio.load((SHIPPER / "deployment.yaml").read_text())
    spec = deployment["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "data", "emptyDir": {}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    return deployment


def shipper() -> dict[str, Any]:
    config: dict[str, Any] = yamlio.load((SHIPPER / "log-shipper.yaml").read_text())
    return config


def with_record(resource: dict[str, Any], record: Any, template: bool = True) -> dict[str, Any]:
    holder = resource["spec"]["template"] if template else resource
    annotations = holder.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[RECORD_ANNOTATION] = record if isinstance(record, str) else json.dumps(record)
    return resource


def errors(results: list[Result]) -> list[Result]:
    return [r for r in results if r.severity == "error"]


def refused(items: list[Any], config: Any, *needles: str) -> list[Result]:
    """The run is an error naming the record, and changes nothing at all."""
    before = yamlio.dump_all(items)
    results = transform(config, items)
    found = errors(results)
    assert found, [r.to_text() for r in results]
    text = " | ".join(r.to_text() for r in found)
    for needle in needles:
        assert needle in text, text
    assert yamlio.dump_all(items) == before, "a refused run changed something"
    return found


# --- 1. forged injection records ---------------------------------------------------------------
def test_a_record_naming_the_apps_own_container_and_volume_is_refused() -> None:
    forged = {"Sidecar/log-shipper": {"containers": ["shop"], "volumes": ["data"]}}
    [error] = refused([with_record(shop(), forged)], shipper(), "Sidecar/log-shipper.containers")
    assert error.field == ANNOTATIONS_FIELD


def test_a_record_with_the_apps_digest_removes_it_only_with_a_warning() -> None:
    """No record can be authenticated (anyone can compute a digest): what it costs is visible."""
    deployment = shop()
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    forged = {"Sidecar/log-shipper": {"containers": {"shop": digest(app)}}}
    results = transform(shipper(), [with_record(deployment, forged)])
    [warning] = [r for r in results if "removed container" in r.message]
    assert warning.severity == "warning"
    assert 'removed container "shop", which Sidecar/log-shipper injected' in warning.message


def was(value: Any) -> dict[str, Any]:
    return {"was": value, "set": "0" * 12}


EVIL_IMAGE = {"image": was("evil.example.com/backdoor:1")}
PRIVILEGED = {"securityContext": was({"privileged": True})}


@pytest.mark.parametrize(
    ("key", "entry", "where"),
    [
        ("Sidecar/log-shipper", {"fieldsWas": {"shop": EVIL_IMAGE}}, "Sidecar never records"),
        ("Ambassador/tls", {"fieldsWas": {"shop": EVIL_IMAGE}}, "never replaces this field"),
        ("Ambassador/tls", {"fieldsWas": {"shop": PRIVILEGED}}, "never replaces this field"),
        ("GracefulShutdown/drain", {"podFieldsWas": {"hostNetwork": was(True)}}, "never replaces"),
        ("GracefulShutdown/drain", {"podFieldsWas": {"hostPID": was(True)}}, "never replaces"),
        ("ConfigReloader/r", {"podFieldsWas": {"serviceAccountName": was("admin")}}, "never"),
        ("Sidecar/log-shipper", {"podFieldsWas": {"hostNetwork": was(True)}}, "never records"),
    ],
)
def test_a_record_may_only_hold_what_its_kind_replaces(
    key: str, entry: dict[str, Any], where: str
) -> None:
    kind, name = key.split("/")
    config = {"apiVersion": "krm-fn.dev/v1alpha1", "kind": kind, "metadata": {"name": name}}
    config["spec"] = {
        "Sidecar": shipper()["spec"],
        "Ambassador": {"inbound": {"port": 8443, "appPort": 8081, "tls": {"secretName": "t"}}},
        "GracefulShutdown": {},
        "ConfigReloader": {"watch": ["data"], "http": {"url": "http://127.0.0.1:1/"}},
    }[kind]
    deployment = shop()
    deployment["spec"]["template"]["spec"]["volumes"] = [
        {"name": "data", "configMap": {"name": "c"}}
    ]
    refused([with_record(deployment, {key: entry})], config, where)


def adapter() -> tuple[list[Any], dict[str, Any]]:
    folder = EXAMPLES / "elasticsearch-adapter-metrics"
    items = yamlio.load_all((folder / "deployment.yaml").read_text())
    items += yamlio.load_all((folder / "service.yaml").read_text())
    config = yamlio.load((folder / "adapter.yaml").read_text())
    return items, config


def test_a_forged_service_record_cannot_rewrite_its_ports() -> None:
    items, config = adapter()
    service = items[-1]
    port = service["spec"]["ports"][0]
    evil = {**port, "port": 22, "targetPort": 22}
    forged = {
        "Adapter/elasticsearch-metrics": {
            "portsWas": {port.get("name") or "http": {"was": evil, "set": digest(port)}}
        }
    }
    if "name" not in port:
        port["name"] = "http"
    forged["Adapter/elasticsearch-metrics"]["portsWas"] = {
        "http": {"was": evil, "set": digest(port)}
    }
    with_record(service, forged, template=False)
    refused(items, config, "the old port has another number or protocol")
    forged_by_sidecar = {"Sidecar/x": {"portsWas": {"http": {"was": evil, "set": digest(port)}}}}
    with_record(service, forged_by_sidecar, template=False)
    sidecar = {**shipper(), "metadata": {"name": "x"}}
    refused(items, sidecar, "Sidecar never records this")


def test_a_changed_item_the_config_injects_again_is_replaced_and_said() -> None:
    items = [shop()]
    transform(shipper(), items)
    spec = items[0]["spec"]["template"]["spec"]
    spec["initContainers"][0]["image"] = "busybox:1.0"  # edited after injection
    results = transform(shipper(), items)
    assert not errors(results)
    assert spec["initContainers"][0]["image"] == "busybox:1.36.1"
    assert any("was not as Sidecar/log-shipper left it" in r.message for r in results)


def test_a_changed_item_the_config_no_longer_injects_is_an_error() -> None:
    items = [shop()]
    transform(shipper(), items)
    spec = items[0]["spec"]["template"]["spec"]
    [volume] = [v for v in spec["volumes"] if v["name"] == "shop-logs"]
    volume["emptyDir"] = {"sizeLimit": "1Gi"}  # edited after injection
    smaller = shipper()
    smaller["spec"]["volumes"] = [{"name": "other-logs", "emptyDir": {}}]
    smaller["spec"]["volumeMounts"] = []
    smaller["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "other-logs", "mountPath": "/logs"}
    ]
    refused(items, smaller, 'volume "shop-logs" is not what Sidecar/log-shipper injected')


def test_an_undo_that_weakens_isolation_is_warned_about() -> None:
    """A record can claim the pod shared its process namespace before krm-fn set `false`."""
    deployment = shop()
    deployment["spec"]["template"]["spec"]["shareProcessNamespace"] = False
    record = {
        "ConfigReloader/r": {
            "podFieldsWas": {"shareProcessNamespace": {"was": True, "set": digest(False)}}
        }
    }
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "ConfigReloader",
        "metadata": {"name": "r"},
        "spec": {"watch": ["cfg"], "http": {"url": "http://127.0.0.1:9090/-/reload"}},
    }
    deployment["spec"]["template"]["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "c"}}
    ]
    results = transform(config, [with_record(deployment, record)])
    [warning] = [r for r in results if r.field == "spec.template.spec.shareProcessNamespace"]
    assert warning.severity == "warning", [r.to_text() for r in results]
    assert "undoing ConfigReloader/r weakens isolation" in warning.message


def test_generated_by_on_a_resource_the_pattern_never_generates_is_an_error() -> None:
    folder = EXAMPLES / "elasticsearch-ambassador-tls"
    items = yamlio.load_all((folder / "deployment.yaml").read_text())
    config = yamlio.load((folder / "ambassador.yaml").read_text())
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "deny-all",
            "annotations": {"krm-fn.dev/generated-by": f"Ambassador/{config['metadata']['name']}"},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    items.append(policy)
    refused(items, config, "never generates a NetworkPolicy")


def test_generated_by_on_a_workload_is_an_error_not_a_silent_skip() -> None:
    deployment = shop()
    deployment["metadata"]["annotations"] = {"krm-fn.dev/generated-by": "Sidecar/log-shipper"}
    refused([deployment], shipper(), "Sidecar never generates a Deployment")
    del deployment["metadata"]["annotations"]["krm-fn.dev/generated-by"]
    deployment["metadata"]["annotations"]["krm-fn.dev/generated-by"] = "Sidecar/other"
    results = transform(shipper(), [deployment])  # another config's claim: not this run's
    assert not errors(results)
    assert [c["name"] for c in deployment["spec"]["template"]["spec"]["initContainers"]] == [
        "access-log"
    ]


def test_a_generated_resource_that_changed_is_generated_again_or_refused() -> None:
    folder = EXAMPLES / "elasticsearch-ambassador-tls"
    items = yamlio.load_all((folder / "deployment.yaml").read_text())
    config = yamlio.load((folder / "ambassador.yaml").read_text())
    transform(config, items)
    [configmap] = [i for i in items if i["kind"] == "ConfigMap"]
    original = copy.deepcopy(configmap["data"])
    [key] = configmap["data"]
    configmap["data"][key] += "location /admin { return 200; }\n"
    results = transform(config, items)
    assert not errors(results) and configmap["data"] == original
    configmap["data"][key] += "# changed\n"
    elsewhere = copy.deepcopy(config)
    elsewhere["spec"]["configMapName"] = "other-nginx"
    refused(items, elsewhere, "is not what krm-fn generated")


# --- 4. configs that weaken isolation are always warned about ----------------------------------
def poddefaults(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "org"},
        "spec": spec,
    }


def sidecar(security: dict[str, Any], volumes: list[Any] | None = None) -> dict[str, Any]:
    container = {"name": "agent", "image": "busybox:1.36.1", "securityContext": security}
    spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
        container["volumeMounts"] = [{"name": volumes[0]["name"], "mountPath": "/host"}]
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Sidecar",
        "metadata": {"name": "agent"},
        "spec": spec,
    }


AGENT = "spec.template.spec.initContainers[name=agent].securityContext"


APPARMOR = "container.apparmor.security.beta.kubernetes.io/shop"
SECCOMP = "seccomp.security.alpha.kubernetes.io/pod"
POD = "spec.template.spec"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (
            poddefaults({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}),
            f"{POD}.volumes[name=root]",
        ),
        (
            sidecar({}, [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]),
            f"{POD}.volumes[name=docker]",
        ),
        (
            poddefaults({"annotations": {APPARMOR: "unconfined"}}),
            f"spec.template.metadata.annotations.{APPARMOR}",
        ),
        (
            poddefaults({"annotations": {SECCOMP: "unconfined"}}),
            f"spec.template.metadata.annotations.{SECCOMP}",
        ),
        (sidecar({"privileged": True}), f"{AGENT}.privileged"),
        (sidecar({"capabilities": {"add": ["SYS_ADMIN"]}}), f"{AGENT}.capabilities.add"),
        (sidecar({"seccompProfile": {"type": "Unconfined"}}), f"{AGENT}.seccompProfile.type"),
        (sidecar({"appArmorProfile": {"type": "Unconfined"}}), f"{AGENT}.appArmorProfile.type"),
        (sidecar({"runAsUser": 0}), f"{AGENT}.runAsUser"),
    ],
)
def test_weakening_isolation_is_always_a_warning_naming_the_field(
    config: dict[str, Any], field: str
) -> None:
    results = transform(config, [shop()])  # no Namespace in the input: nothing is enforced
    assert not errors(results), [r.to_text() for r in results]
    warned = [r for r in results if r.severity == "warning" and r.field == field]
    assert warned and "weakens isolation" in warned[0].message, [r.to_text() for r in results]


# --- 7. bugs in patterns are internal errors, never the user's mistake ---------------------------
def test_a_bug_in_a_pattern_is_an_internal_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from krm_fn.patterns import sidecar as module

    def broken(spec: Any, pod: Any) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(module, "inject", broken)
    items = [shop()]
    before = yamlio.dump_all(items)
    [error] = errors(krm_fn.engine.core.transform(shipper(), items))
    assert error.message.startswith('Sidecar "log-shipper": internal error (KeyError')
    assert "bug in krm-fn" in error.message and "not shaped" not in error.message
    assert yamlio.dump_all(items) == before
    with pytest.raises(KeyError):  # KRM_FN_DEBUG=1, as in the tests
        debug = krm_fn.engine.core.Options(raise_internal_errors=True)
        krm_fn.engine.core.transform(shipper(), [shop()], debug)
    monkeypatch.setenv("KRM_FN_DEBUG", "1")
    with pytest.raises(KeyError):  # every way in reads it
        transform(shipper(), [shop()])


SHOP = "spec.template.spec.containers[name=shop]"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("containers", 0, "lifecycle"), [], f"{SHOP}.lifecycle"),
        (("containers", 0, "env"), [None], f"{SHOP}.env[0]"),
        (
            ("containers", 0, "ports", 0, "containerPort"),
            "8080",
            f"{SHOP}.ports[name=http].containerPort",
        ),
        (("terminationGracePeriodSeconds",), "30s", f"{POD}.terminationGracePeriodSeconds"),
    ],
)
def test_shapes_are_checked_before_patterns_run(
    path: tuple[Any, ...], value: Any, field: str
) -> None:
    deployment = shop()
    node: Any = deployment["spec"]["template"]["spec"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    [error] = errors(transform(shipper(), [deployment]))
    assert error.field == field


# --- 8. correctness found on real manifests ---------------------------------------------------
def test_a_port_conflict_with_a_native_sidecar_names_it_and_the_config() -> None:
    deployment = shop()
    spec = deployment["spec"]["template"]["spec"]
    spec["initContainers"] = [
        {
            "name": "other-sidecar",
            "image": "envoy:1",
            "restartPolicy": "Always",
            "ports": [{"containerPort": 9000}],
        }
    ]
    config = shipper()
    config["spec"]["containers"][0]["ports"] = [{"containerPort": 9000}]
    [error] = errors(transform(config, [deployment]))
    assert error.message.startswith('Sidecar "log-shipper": containers')
    assert error.field in (
        "spec.template.spec.initContainers[name=other-sidecar].ports",
        "spec.template.spec.initContainers[name=access-log].ports",
    )


@pytest.mark.parametrize("mode", ["run", "plugin"])
def test_empty_input_is_an_error(mode: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yamlio.dump(shipper()))
    done = run([krm_fn_command(), mode, str(config)], input="")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no resources" in done.stderr


def test_graceful_shutdown_never_lowers_the_default_grace_period() -> None:
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "GracefulShutdown",
        "spec": {"sleepSeconds": 5, "shutdownSeconds": 10},
    }
    deployment = shop()
    results = transform(config, [deployment])
    assert not errors(results)
    assert "terminationGracePeriodSeconds" not in deployment["spec"]["template"]["spec"]  # 30 > 15
    longer = copy.deepcopy(config)
    longer["spec"]["shutdownSeconds"] = 60
    transform(longer, [deployment])
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 65
