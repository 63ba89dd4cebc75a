"""krm-fn's Pod Security check against the real one: the same verdict, for the same reasons.

Generated pods (hypothesis, seeded) are created with dry run in namespaces of the test API
server enforcing `baseline` and `restricted`, each at the versions the checks changed at
(`pod-security.kubernetes.io/enforce-version`, `latest` among them). For each, krm-fn's
`violations` at that version must be empty exactly when the server admits the pod, and name the
same checks the server names.
Every disagreement found this way was a bug in krm_fn/kube/podsecurity.py; the pods that showed
them are kept as explicit examples.
"""

import os
import re
from typing import Any

import pytest
from cluster import ControlPlane
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_cluster import normalized_reasons, pod_security_reasons, reason_of

from krm_fn.kube.podsecurity import (
    ENFORCE_LABEL,
    ENFORCE_VERSION_LABEL,
    LATEST,
    enforced_policy,
    violations,
)

EXAMPLES = int(os.environ.get("KRM_FN_PROPERTY_EXAMPLES", "300"))

SECURITY = st.fixed_dictionaries(
    {},
    optional={
        "privileged": st.booleans(),
        "allowPrivilegeEscalation": st.booleans(),
        "runAsNonRoot": st.booleans(),
        "runAsUser": st.sampled_from([0, 1000]),
        "capabilities": st.sampled_from(
            [
                {},
                {"drop": ["ALL"]},
                {"add": ["NET_ADMIN"]},
                {"add": ["CHOWN"]},
                {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                {"add": ["SYS_TIME"], "drop": ["ALL"]},
            ]
        ),
        "seccompProfile": st.sampled_from(
            [
                {"type": "RuntimeDefault"},
                {"type": "Unconfined"},
                {"type": "Localhost", "localhostProfile": "p.json"},
            ]
        ),
        "appArmorProfile": st.sampled_from(
            [
                {"type": "RuntimeDefault"},
                {"type": "Unconfined"},
                {"type": "Localhost", "localhostProfile": "p"},
            ]
        ),
        "procMount": st.sampled_from(["Default", "Unmasked"]),
        "seLinuxOptions": st.sampled_from(
            [
                {"type": "container_t"},
                {"type": "spc_t"},
                {"user": "system_u"},
                {"level": "s0"},
                {"type": "container_engine_t"},
            ]
        ),
    },
)
POD_SECURITY = st.fixed_dictionaries(
    {},
    optional={
        "runAsNonRoot": st.booleans(),
        "runAsUser": st.sampled_from([0, 1000]),
        "seccompProfile": st.sampled_from([{"type": "RuntimeDefault"}, {"type": "Unconfined"}]),
        "appArmorProfile": st.sampled_from([{"type": "RuntimeDefault"}, {"type": "Unconfined"}]),
        "seLinuxOptions": st.sampled_from([{"type": "container_t"}, {"role": "r"}]),
        "sysctls": st.sampled_from(
            [
                [{"name": "net.ipv4.tcp_syncookies", "value": "1"}],
                [{"name": "net.ipv4.ip_local_reserved_ports", "value": "8080"}],
                [{"name": "net.ipv4.tcp_keepalive_time", "value": "600"}],
                [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}],
                [{"name": "net.ipv4.tcp_notsent_lowat", "value": "16384"}],
                [{"name": "kernel.msgmax", "value": "65536"}],
            ]
        ),
    },
)
VOLUMES = st.lists(
    st.sampled_from(
        [
            {"emptyDir": {}},
            {"hostPath": {"path": "/var/log"}},
            {"configMap": {"name": "c"}},
            {"nfs": {"server": "nfs", "path": "/"}},
            {"secret": {"secretName": "s"}},
        ]
    ),
    max_size=2,
)
PROBE = st.sampled_from(
    [
        {"httpGet": {"path": "/", "port": 8080}},
        {"httpGet": {"path": "/", "port": 8080, "host": "10.0.0.9"}},
        {"tcpSocket": {"port": 8080, "host": "db.example.com"}},
    ]
)


@st.composite
def container(draw: Any, name: str, index: int, user_namespace: bool, init: bool) -> dict[str, Any]:
    """A container; only combinations the API accepts (it validates before Pod Security)."""
    made: dict[str, Any] = {"name": name, "image": "registry.example.com/app:1"}
    security = draw(SECURITY)
    if security.get("privileged") and security.get("allowPrivilegeEscalation") is False:
        security["allowPrivilegeEscalation"] = True  # the API refuses the pair
    if security.get("procMount") == "Unmasked" and not user_namespace:
        security["procMount"] = "Default"  # Unmasked needs a user namespace
    if security:
        made["securityContext"] = security
    if draw(st.booleans()):
        port = 8080 + index
        made["ports"] = [{"containerPort": port, **draw(st.sampled_from([{}, {"hostPort": port}]))}]
    if not init and draw(st.booleans()):
        made["readinessProbe"] = draw(PROBE)
    return made


@st.composite
def pod_specs(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    spec: dict[str, Any] = {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if draw(st.integers(0, 5)) == 0:
            spec[field] = True
    user_namespace = not spec and draw(st.integers(0, 3)) == 0
    if user_namespace:
        spec["hostUsers"] = False
    count = draw(st.integers(1, 2))
    spec["containers"] = [draw(container(f"c{i}", i, user_namespace, False)) for i in range(count)]
    if draw(st.booleans()):
        spec["initContainers"] = [draw(container("i0", 5, user_namespace, True))]
    security = draw(POD_SECURITY)
    if spec.get("hostNetwork") and any(
        s["name"].startswith("net.") for s in security.get("sysctls", [])
    ):
        del security["sysctls"]  # net.* sysctls belong to the pod's own network namespace
    if security:
        spec["securityContext"] = security
    volumes = draw(VOLUMES)
    if volumes:
        spec["volumes"] = [{"name": f"v{i}", **v} for i, v in enumerate(volumes)]
    annotations = {}
    first = spec["containers"][0]
    if "appArmorProfile" not in first.get("securityContext", {}) and draw(st.integers(0, 3)) == 0:
        value = draw(st.sampled_from(["unconfined", "runtime/default", "localhost/p", ""]))
        annotations["container.apparmor.security.beta.kubernetes.io/c0"] = value
    return spec, annotations


# the versions some check changed at (and one before the first of them), and latest
VERSIONS = [
    "v1.18",
    "v1.21",
    "v1.22",
    "v1.24",
    "v1.26",
    "v1.28",
    "v1.30",
    "v1.33",
    "v1.34",
    "v1.36",
    "latest",
]


@pytest.fixture(scope="module")
def levels(cluster: ControlPlane) -> dict[tuple[str, str], str]:
    """A namespace enforcing each level at each version: (level, version) -> its name."""
    names = {}
    for level in ("baseline", "restricted"):
        for version in VERSIONS:
            labels = {ENFORCE_LABEL: level, ENFORCE_VERSION_LABEL: version}
            name = f"pss-{level}-{version.replace('.', '-')}"
            names[(level, version)] = cluster.namespace(name, labels)
    return names


def server_verdict(cluster: ControlPlane, namespace: str, pod: dict[str, Any]) -> set[str] | None:
    """The checks the server refuses the pod for (empty: admitted); None: the pod is invalid."""
    import kubernetes

    api = kubernetes.client.CoreV1Api(cluster.client())
    try:
        api.create_namespaced_pod(namespace, pod, dry_run="All")
    except kubernetes.client.ApiException as err:
        if err.status == 403 and "violates PodSecurity" in err.body:
            return normalized_reasons(pod_security_reasons(err.body.replace('\\"', '"')))
        if err.status == 422:
            return None
        raise
    return set()


STATS = {"invalid": 0, "refused": 0, "admitted": 0}


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "containers": [{"name": f"c{i}", "image": "a:1", **c} for i, c in enumerate(containers)],
        **spec,
    }


HOSTED_PROBE = {"httpGet": {"path": "/", "port": 80, "host": "10.0.0.9"}}
KEPT: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # hostPath under restricted: the restricted volume check replaces the baseline one
    (pod({}, volumes=[{"name": "v0", "hostPath": {"path": "/"}}]), {}),
    # a user namespace spares runAsNonRoot, runAsUser and baseline procMount (1.35)
    (pod({"securityContext": {"runAsUser": 0, "procMount": "Unmasked"}}, hostUsers=False), {}),
    # probes that name a host are refused at baseline (1.34)
    (pod({"readinessProbe": HOSTED_PROBE}), {}),
    # new safe sysctls (1.37); an empty AppArmor annotation is allowed
    (
        pod(
            {}, securityContext={"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}
        ),
        {"container.apparmor.security.beta.kubernetes.io/c0": ""},
    ),
    # with hostNetwork, the API server defaults hostPort to containerPort
    (pod({"ports": [{"containerPort": 8080}]}, hostNetwork=True), {}),
    # capabilities added beyond baseline: one restricted check, not two (1.22+; before, the
    # baseline one)
    (pod({"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}), {}),
    # a Windows pod is spared the Linux-only restricted checks (1.25+)
    (pod({"securityContext": {"runAsNonRoot": True}}, os={"name": "windows"}), {}),
    # runAsUser: 0 is refused from 1.23; an unconfined seccomp annotation before 1.19
    (
        pod({"securityContext": {"runAsUser": 0, "runAsNonRoot": False}}),
        {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
    ),
]


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=SLOW)
@given(pod_specs())
@example(KEPT[0])
@example(KEPT[1])
@example(KEPT[2])
@example(KEPT[3])
@example(KEPT[4])
@example(KEPT[5])
@example(KEPT[6])
@example(KEPT[7])
def test_krm_fn_and_the_api_server_agree_on_pod_security(
    cluster: ControlPlane,
    levels: dict[tuple[str, str], str],
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    spec, annotations = generated
    for (level, version), namespace in levels.items():
        metadata: dict[str, Any] = {"name": "p"}
        if annotations:
            metadata["annotations"] = annotations
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
        server = server_verdict(cluster, namespace, pod)
        if server is None:
            STATS["invalid"] += 1
            return  # the API refuses the pod as invalid before Pod Security looks at it
        STATS["refused" if server else "admitted"] += 1
        policy = enforced_policy({ENFORCE_LABEL: level, ENFORCE_VERSION_LABEL: version})
        assert policy is not None
        found = violations(spec, level, metadata, policy.version)
        ours = {reason_of(f, p, level) for f, p in found}
        assert ours == server, (level, version, spec, annotations)


def test_a_namespace_pinned_to_an_older_version_is_judged_by_it() -> None:
    """What a pin changes, both ways: a sysctl made safe in 1.37, runAsUser: 0 before 1.23."""
    sysctl = pod(
        {}, securityContext={"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}
    )
    assert violations(sysctl, "baseline") == []
    old = enforced_policy({ENFORCE_LABEL: "baseline", ENFORCE_VERSION_LABEL: "v1.36"})
    assert old is not None and violations(sysctl, "baseline", None, old.version)
    root = pod(
        {
            "securityContext": {
                "runAsUser": 0,
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "seccompProfile": {"type": "RuntimeDefault"},
                "capabilities": {"drop": ["ALL"]},
            }
        }
    )
    assert violations(root, "restricted") != []
    assert violations(root, "restricted", None, (1, 22)) == []
    for text in ("latest", "v1.99", "1.30", "v1.030", "nonsense"):  # latest, as the plugin reads
        policy = enforced_policy({ENFORCE_LABEL: "baseline", ENFORCE_VERSION_LABEL: text})
        assert policy is not None and policy.version == LATEST, text


def test_most_generated_pods_were_judged() -> None:
    """The property ran on pods the server judged, both ways, not on pods it found invalid."""
    assert STATS["refused"] > EXAMPLES // 2 and STATS["admitted"] >= 10, STATS
    assert STATS["invalid"] < EXAMPLES // 3, STATS


def test_the_server_messages_are_understood() -> None:
    message = (
        'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, '
        'hostPID=true), unrestricted capabilities (containers "a", "b" must set '
        'securityContext.capabilities.drop=["ALL"])'
    )
    assert pod_security_reasons(message) == {"host namespaces", "unrestricted capabilities"}
    assert re.search("violates", message)
