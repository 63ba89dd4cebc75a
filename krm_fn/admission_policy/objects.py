"""The four objects: the mutating and validating policies and their bindings."""

import json
from typing import Any

from krm_fn.admission_policy.cel import (
    DEFAULT_APP,
    DEFAULT_APP_VARIABLE,
    annotation,
    guards,
    mutations,
    quoted,
    record_text,
    target_condition,
)
from krm_fn.admission_policy.probe import Injection, PolicyError
from krm_fn.editing.pod_editor import OPT_OUT_ANNOTATION
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.config import Instance
from krm_fn.kube.selection import Selector

API_VERSION = "admissionregistration.k8s.io/v1"
EXCLUDED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def policies(
    injection: Injection,
    name: str,
    instances: list[Instance],
    namespace_labels: dict[str, str],
) -> list[dict[str, Any]]:
    """The MutatingAdmissionPolicy, the ValidatingAdmissionPolicy, and their bindings.

    The validating one refuses what the mutating one cannot inject exactly.
    """
    opt_out = {bool(getattr(i.spec, "pod_opt_out", True)) for i in instances}
    if len(opt_out) > 1:
        raise PolicyError("the configs disagree on podOptOut: compile them apart")
    conditions = []
    targets = {json.dumps(target_fields(i), sort_keys=True) for i in instances}
    if len(targets) > 1:
        raise PolicyError("the configs select different targets: compile them apart")
    selected = target_condition(instances[0].spec.targets)
    if selected:
        conditions.append({"name": "targets", "expression": selected})
    if opt_out == {True}:
        key = quoted(OPT_OUT_ANNOTATION)
        conditions.append(
            {
                "name": "not-opted-out",
                "expression": f"!({annotation(OPT_OUT_ANNOTATION)} && "
                f"object.metadata.annotations[{key}].lowerAscii() == 'false')",
            }
        )
    rules = [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
    ]
    on_error = {getattr(i.spec, "on_error", "deny") for i in instances}
    if len(on_error) > 1:
        raise PolicyError("the configs disagree on onError: compile them apart")
    checks = guards(injection)
    # with onError: admit the webhook admits a pod it cannot inject unchanged, as the policy
    # does when a match condition fails; what it would inject differently is refused anyway
    refused = [g for g in checks if not (g.error and on_error == {"admit"})]
    mutation = mutations(injection)
    variables = (
        {"variables": [{"name": DEFAULT_APP_VARIABLE, "expression": DEFAULT_APP}]}
        if f"variables.{DEFAULT_APP_VARIABLE}" in mutation
        else {}
    )
    mutating = _object(
        "MutatingAdmissionPolicy",
        name,
        {
            "matchConstraints": {"resourceRules": rules},
            "failurePolicy": "Fail",
            "reinvocationPolicy": "IfNeeded",
            "matchConditions": [
                *conditions,
                {"name": "not-injected", "expression": f"!{annotation(RECORD_ANNOTATION)}"},
                *({"name": g.name, "expression": g.expression} for g in checks),
            ],
            **variables,
            "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": mutation}}],
        },
    )
    record = f"object.metadata.annotations[{quoted(RECORD_ANNOTATION)}]"
    ours = f"{record} == ({record_text(injection)})"
    validating = _object(
        "ValidatingAdmissionPolicy",
        name,
        {
            "matchConstraints": {"resourceRules": rules},
            "failurePolicy": "Fail",
            "matchConditions": [
                *conditions,
                {
                    "name": "not-injected-by-it",
                    "expression": f"!({annotation(RECORD_ANNOTATION)} && {ours})",
                },
            ],
            "validations": [
                {
                    "expression": f"!{annotation(RECORD_ANNOTATION)}",
                    "message": f"krm-fn: the pod carries {RECORD_ANNOTATION} of other configs, "
                    "which the admission policy cannot update: rebuild its template or use the "
                    "webhook",
                },
                *(
                    {
                        "expression": g.expression,
                        "message": f"krm-fn: {g.message} (the admission policy injects "
                        "only pods without conflicts; the webhook says more)",
                    }
                    for g in refused
                ),
            ],
        },
    )
    selector = {
        "matchLabels": namespace_labels,
        "matchExpressions": [
            {
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": list(EXCLUDED_NAMESPACES),
            }
        ],
    }
    binding = {"policyName": name, "matchResources": {"namespaceSelector": selector}}
    return [
        mutating,
        _object("MutatingAdmissionPolicyBinding", name, binding),
        validating,
        _object(
            "ValidatingAdmissionPolicyBinding", name, {**binding, "validationActions": ["Deny"]}
        ),
    ]


def _object(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """An admissionregistration.k8s.io/v1 object of krm-fn's."""
    metadata = {"name": name, "labels": {"app.kubernetes.io/managed-by": "krm-fn"}}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def target_fields(instance: Instance) -> list[dict[str, Any]]:
    """What the instance's targets select, comparable between instances."""
    return [{f: getattr(t, f) for f in Selector.__annotations__} for t in instance.spec.targets]
