"""The Pod Security Standards checker, control by control."""

import copy
from typing import Any

import pytest
from support import agent_sidecar, errors, shop

from krm_fn.framework import transform
from krm_fn.kube.containers import RESTRICTED
from krm_fn.kube.podsecurity import violations

GOOD: dict[str, Any] = {
    "containers": [{"name": "app", "image": "x", "securityContext": copy.deepcopy(RESTRICTED)}],
    "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}],
}


def spec_with(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(GOOD)
    for path, value in changes.items():
        node = spec
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
        node[keys[-1]] = value
    return spec


def fields(spec: dict[str, Any], level: str) -> list[str]:
    return [field for field, _ in violations(spec, level)]


def test_the_restricted_defaults_pass_every_level() -> None:
    assert fields(GOOD, "restricted") == []
    assert fields(GOOD, "baseline") == []
    assert fields(spec_with(hostNetwork=True), "privileged") == []


@pytest.mark.parametrize(
    ("changes", "level", "field"),
    [
        ({"hostNetwork": True}, "baseline", "spec.hostNetwork"),
        (
            {"containers__0__securityContext__privileged": True},
            "baseline",
            "spec.containers[name=app].securityContext.privileged",
        ),
        (
            {
                "containers__0__securityContext__capabilities": {
                    "add": ["SYS_ADMIN"],
                    "drop": ["ALL"],
                }
            },
            "baseline",
            "spec.containers[name=app].securityContext.capabilities.add",
        ),
        (
            {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
            "baseline",
            "spec.volumes[name=h]",
        ),
        (
            {"containers__0__ports": [{"containerPort": 80, "hostPort": 80}]},
            "baseline",
            "spec.containers[name=app].ports",
        ),
        (
            {"securityContext": {"sysctls": [{"name": "vm.max_map_count", "value": "1"}]}},
            "baseline",
            "spec.securityContext.sysctls",
        ),
        (
            {"containers__0__securityContext__seccompProfile": {"type": "Unconfined"}},
            "baseline",
            "spec.containers[name=app].securityContext.seccompProfile.type",
        ),
        (
            {"containers__0__securityContext__allowPrivilegeEscalation": True},
            "restricted",
            "spec.containers[name=app].securityContext.allowPrivilegeEscalation",
        ),
        (
            {"containers__0__securityContext__runAsNonRoot": False},
            "restricted",
            "spec.containers[name=app].securityContext.runAsNonRoot",
        ),
        (
            {"containers__0__securityContext__runAsUser": 0},
            "restricted",
            "spec.containers[name=app].securityContext.runAsUser",
        ),
        (
            {"containers__0__securityContext__capabilities": {"drop": ["NET_RAW"]}},
            "restricted",
            "spec.containers[name=app].securityContext.capabilities.drop",
        ),
        (
            {"volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}]},
            "restricted",
            "spec.volumes[name=n]",
        ),
        (
            {"containers__0__livenessProbe": {"tcpSocket": {"port": 80, "host": "10.0.0.1"}}},
            "baseline",
            "spec.containers[name=app].livenessProbe.tcpSocket.host",
        ),
        (
            {"containers__0__lifecycle": {"preStop": {"httpGet": {"port": 80, "host": "x"}}}},
            "baseline",
            "spec.containers[name=app].lifecycle.preStop.httpGet.host",
        ),
    ],
)
def test_each_control(changes: dict[str, Any], level: str, field: str) -> None:
    spec = spec_with(**changes)
    assert field in fields(spec, level)
    if level == "restricted":
        assert field not in fields(spec, "baseline")


def test_pod_level_settings_satisfy_restricted() -> None:
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [
            {
                "name": "i",
                "image": "x",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                },
            }
        ],
        "containers": [],
    }
    assert fields(spec, "restricted") == []


def test_a_bare_container_fails_restricted_on_four_fields() -> None:
    spec = {"containers": [{"name": "app", "image": "x"}]}
    assert sorted(fields(spec, "restricted")) == sorted(
        f"spec.containers[name=app].securityContext.{f}"
        for f in (
            "allowPrivilegeEscalation",
            "runAsNonRoot",
            "seccompProfile.type",
            "capabilities.drop",
        )
    )
    assert fields(spec, "baseline") == []


def poddefaults(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "org"},
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
            agent_sidecar({}, [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]),
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
        (agent_sidecar({"privileged": True}), f"{AGENT}.privileged"),
        (agent_sidecar({"capabilities": {"add": ["SYS_ADMIN"]}}), f"{AGENT}.capabilities.add"),
        (agent_sidecar({"seccompProfile": {"type": "Unconfined"}}), f"{AGENT}.seccompProfile.type"),
        (
            agent_sidecar({"appArmorProfile": {"type": "Unconfined"}}),
            f"{AGENT}.appArmorProfile.type",
        ),
        (agent_sidecar({"runAsUser": 0}), f"{AGENT}.runAsUser"),
    ],
)
def test_weakening_isolation_is_always_a_warning_naming_the_field(
    config: dict[str, Any], field: str
) -> None:
    results = transform(config, [shop()])  # no Namespace in the input: nothing is enforced
    assert not errors(results), [r.to_text() for r in results]
    warned = [r for r in results if r.severity == "warning" and r.field == field]
    assert warned and "weakens isolation" in warned[0].message, [r.to_text() for r in results]
