"""PodDefaults: the PodPreset replacement.

What it changes: labels and annotations on the pod template; env, envFrom and volumeMounts in the
app containers (`appContainers`: default the pod's default container, `["*"]` every container);
pod volumes.

These are defaults, not overrides: a label, annotation or env var the workload already sets with
another value keeps its value, and krm-fn says so in a warning. Labels are checked as Kubernetes
label keys and values. Workload selectors are never touched: labels go on the pod template only
(adding labels to a pod template does not break a Deployment's selector).

Seen running on the test node (tests/test_scenarios.py): the env, labels and volumes inside the
pod.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.patterns import Facts

if TYPE_CHECKING:
    from krm_fn.patterns.models.pod_defaults import Spec

QUALIFIED_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def check_keys(values: dict[str, str]) -> dict[str, str]:
    """Label and annotation keys Kubernetes accepts."""
    for key in values:
        if not QUALIFIED_NAME.match(key) or key == RECORD_ANNOTATION:
            raise ValueError(f'"{key}" is not a usable label or annotation key')
    return values


def check_label_values(values: dict[str, str]) -> dict[str, str]:
    """Label values Kubernetes accepts."""
    for key, value in values.items():
        if len(value) > 63 or not LABEL_VALUE.match(value):
            raise ValueError(f'label {key}: "{value}" is not a valid label value')
    return values


FACTS = Facts(
    adds_containers=False,
    example="pod-defaults-webhook-label",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Set the metadata, add the volumes, then the env and mounts of each app container."""
    for key, value in spec.labels.items():
        pod.set_metadata("labels", key, value)
    for key, value in spec.annotations.items():
        pod.set_metadata("annotations", key, value)
    for volume in spec.volumes:
        pod.add_volume(volume)
    if not (spec.env or spec.env_from or spec.volume_mounts):
        return
    for app in pod.app_containers(spec.app_containers):
        for env in spec.env:
            pod.add_env(app, env)
        for env_from in spec.env_from:
            pod.add_env_from(app, env_from)
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
