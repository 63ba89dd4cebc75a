"""Injection records and `generated-by` annotations, which anyone can forge (editing/record.py).

What krm-fn trusts in them and what it verifies (docs/engine.md, "Trust"): a record never makes it
remove or restore what it did not inject, a changed item is injected again or refused, an undo
that weakens isolation says so. Every case runs the core as the KRM function does.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, SHIPPER_DEPLOYMENT, errors, shipper, shop
from webhooks import forged_pod, review, shipper_configs, shop_pod

from krm_fn.editing.record import MAX_RECORD_ENTRIES, MAX_RECORD_ITEMS, RECORD_ANNOTATION, digest
from krm_fn.framework import transform
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result
from krm_fn.webhook.admission import answer


def pod_defaults(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "d"},
        "spec": {"labels": {"team": "shop"}, **spec},
    }


def forged(entry: dict[str, Any], labels: dict[str, str], annotations: dict[str, str]) -> Any:
    [deployment] = yamlio.load_all(SHIPPER_DEPLOYMENT.read_text())
    meta = deployment["spec"]["template"]["metadata"]
    meta["labels"].update(labels)
    meta["annotations"] = {**annotations, RECORD_ANNOTATION: json.dumps(entry)}
    return deployment


def warnings_of(config: Any, items: list[Any]) -> list[str]:
    results = transform(config, items)
    assert not [r for r in results if r.severity == "error"], [r.to_text() for r in results]
    return [r.message for r in results if r.severity == "warning"]


def test_a_forged_record_over_the_item_limit_is_refused_before_anything_is_undone(
    tmp_path: Path,
) -> None:
    configs = shipper_configs(tmp_path)
    result = answer(review(forged_pod(MAX_RECORD_ITEMS + 1)), configs)
    assert result.outcome == "denied"
    message = result.review["response"]["status"]["message"]
    assert f"lists more than {MAX_RECORD_ITEMS:,} items" in message
    under = answer(review(forged_pod(200)), configs)  # a claim under the limit: verified, undone
    assert under.outcome == "injected"
    entries = {f"Sidecar/s{i}": {} for i in range(MAX_RECORD_ENTRIES + 1)}
    pod = shop_pod()
    pod["metadata"].setdefault("annotations", {})[RECORD_ANNOTATION] = json.dumps(entries)
    assert (
        "more than 100 entries"
        in answer(review(pod), configs).review["response"]["status"]["message"]
    )


def test_a_forged_entry_removing_the_users_label_and_apparmor_profile_warns(tmp_path: Path) -> None:
    profile = "container.apparmor.security.beta.kubernetes.io/shop"
    entry = {
        "PodDefaults/d": {
            "labels": {"tier": digest("gold")},
            "annotations": {profile: digest("localhost/strict")},
        }
    }
    deployment = forged(entry, {"tier": "gold"}, {profile: "localhost/strict"})
    warnings = warnings_of(pod_defaults(), [deployment])
    assert any('removed label "tier"' in w for w in warnings), warnings
    assert any(profile in w and "AppArmor or seccomp profile" in w for w in warnings), warnings
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "tier" not in labels and labels["team"] == "shop"


def test_a_forged_restore_of_an_env_var_the_config_does_not_set_warns() -> None:
    [deployment] = yamlio.load_all(SHIPPER_DEPLOYMENT.read_text())
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    app["env"] = [{"name": "DB_PASSWORD", "value": "x"}]
    stolen = {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "admin", "key": "k"}}}
    entry = {
        "LogTailer/t": {
            "env": {"shop": {"DB_PASSWORD": digest(app["env"][0])}},
            "envWas": {"shop": {"DB_PASSWORD": stolen}},
        }
    }
    meta = deployment["spec"]["template"]["metadata"]
    meta["annotations"] = {RECORD_ANNOTATION: json.dumps(entry)}
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "LogTailer",
        "metadata": {"name": "t"},
        "spec": {"logDir": "/var/log/shop", "files": ["access.log"]},
    }
    warnings = warnings_of(config, [deployment])
    assert any("LogTailer/t.envWas.shop.DB_PASSWORD: put back" in w for w in warnings), warnings


ANNOTATIONS_FIELD = f"spec.template.metadata.annotations.{RECORD_ANNOTATION}"


def with_record(resource: dict[str, Any], record: Any, template: bool = True) -> dict[str, Any]:
    holder = resource["spec"]["template"] if template else resource
    annotations = holder.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[RECORD_ANNOTATION] = record if isinstance(record, str) else json.dumps(record)
    return resource


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


def was(value: Any) -> dict[str, Any]:
    return {"was": value, "set": "0" * 12}


EVIL_IMAGE = {"image": was("evil.example.com/backdoor:1")}


PRIVILEGED = {"securityContext": was({"privileged": True})}


def adapter() -> tuple[list[Any], dict[str, Any]]:
    folder = EXAMPLES / "elasticsearch-adapter-metrics"
    items = yamlio.load_all((folder / "deployment.yaml").read_text())
    items += yamlio.load_all((folder / "service.yaml").read_text())
    config = yamlio.load((folder / "adapter.yaml").read_text())
    return items, config


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
