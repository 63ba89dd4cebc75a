"""Property tests (hypothesis): for generated ResourceLists and configs, valid and odd, krm-fn in
KRM mode either answers exit 0 with every input item (untouched ones unchanged) plus its additions,
or exit 1 with error results and the items exactly as they came; a second run over its own output
changes nothing. It never raises: input it cannot read at all is refused with a message."""

import io
import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import example_cases, field_paths, replace_at

from krm_fn.engine.generated import GENERATED_BY
from krm_fn.framework import run_plugin, run_resource_list
from krm_fn.manifests import yamlio

LONG_RUN = os.environ.get("KRM_FN_PROPERTY_EXAMPLES")
settings.register_profile(
    "krm-fn",
    max_examples=int(LONG_RUN or 150),
    deadline=None,
    derandomize=not LONG_RUN,  # make test runs the same examples every time; a long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("krm-fn")

EXAMPLES = example_cases()
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
CHANGEABLE = POD_KINDS | {"Service", "List", "Rollout"}  # what a pattern may edit

text = st.text(max_size=20) | st.sampled_from(["", "ü", "日本", "\n", "null", "true", "1e3", "*"])
good_names = st.sampled_from(["app", "web", "shop", "worker", "db", "tail", "access-log", "x" * 63])
names = good_names | good_names | good_names | st.sampled_from(["Bad_Name", "", "x" * 64])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
labels = st.dictionaries(
    st.sampled_from(["app", "app.kubernetes.io/name", "team", "ü"]),
    text | st.just("v" * 5000),
    max_size=3,
)
metadata = st.fixed_dictionaries(
    {"name": names},
    optional={
        "namespace": st.sampled_from(["default", "shop", "restricted"]),
        "labels": labels,
        "annotations": st.dictionaries(
            st.sampled_from(["a", "krm-fn.dev/inject", "krm-fn.dev/injected", GENERATED_BY]),
            text,
            max_size=2,
        ),
    },
)
container = st.fixed_dictionaries(
    {"name": names, "image": st.sampled_from(["nginx:1.27", "busybox", ""])},
    optional={
        "ports": st.lists(
            st.fixed_dictionaries(
                {"containerPort": st.integers(0, 70000)}, optional={"name": names}
            ),
            max_size=2,
        ),
        "env": st.lists(st.fixed_dictionaries({"name": names, "value": text}), max_size=2),
        "volumeMounts": st.lists(
            st.fixed_dictionaries({"name": names, "mountPath": st.sampled_from(["/a", "b"])}),
            max_size=2,
        ),
        "securityContext": st.fixed_dictionaries({}, optional={"privileged": st.booleans()}),
        "restartPolicy": st.sampled_from(["Always", "Never"]),
    },
)
unique_containers = st.lists(container, max_size=3, unique_by=lambda c: c["name"])
containers = unique_containers | unique_containers | st.lists(container, max_size=3)
pod_spec = st.fixed_dictionaries(
    {"containers": containers},
    optional={
        "initContainers": containers,
        "volumes": st.lists(
            st.fixed_dictionaries({"name": names, "emptyDir": st.just({})}), max_size=2
        ),
        "restartPolicy": st.sampled_from(["Always", "OnFailure", "Never"]),
        "hostNetwork": st.booleans(),
    },
)
template = st.fixed_dictionaries({"spec": pod_spec}, optional={"metadata": metadata})


def workload(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    if kind == "Pod":
        spec: st.SearchStrategy[Any] = pod_spec
    elif kind == "CronJob":
        spec = st.fixed_dictionaries(
            {
                "schedule": st.just("* * * * *"),
                "jobTemplate": st.builds(lambda t: {"spec": {"template": t}}, template),
            }
        )
    else:
        spec = st.fixed_dictionaries({"template": template}, optional={"replicas": st.integers()})
    api = {"Pod": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    return st.fixed_dictionaries(
        {"apiVersion": st.just(api), "kind": st.just(kind), "metadata": metadata, "spec": spec}
    )


workloads = st.one_of(*(workload(kind) for kind in sorted(POD_KINDS)))
odd_items = st.one_of(
    st.fixed_dictionaries({"apiVersion": st.just("v1"), "kind": st.just("ConfigMap")}),
    st.fixed_dictionaries(
        {"apiVersion": st.just("v1"), "kind": st.just("ConfigMap"), "metadata": st.none()}
    ),
    st.fixed_dictionaries(
        {"apiVersion": st.just("v1"), "kind": st.just("ConfigMap"), "metadata": metadata},
        optional={"data": st.dictionaries(text, text, max_size=3)},
    ),
    st.fixed_dictionaries(  # a custom resource, with and without a pod template
        {
            "apiVersion": st.just("argoproj.io/v1alpha1"),
            "kind": st.just("Rollout"),
            "metadata": metadata,
            "spec": st.one_of(json_values, st.builds(lambda t: {"template": t}, template)),
        }
    ),
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("v1"),
            "kind": st.just("List"),
            "items": st.lists(workloads, max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("v1"),
            "kind": st.just("Service"),
            "metadata": metadata,
            "spec": st.fixed_dictionaries(
                {
                    "selector": labels,
                    "ports": st.lists(
                        st.fixed_dictionaries(
                            {
                                "port": st.integers(1, 65535),
                                "targetPort": st.integers(1, 65535) | names,
                            }
                        ),
                        max_size=2,
                    ),
                }
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("v1"),
            "kind": st.just("Namespace"),
            "metadata": st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["shop", "restricted"]),
                    "labels": st.dictionaries(
                        st.just("pod-security.kubernetes.io/enforce"),
                        st.sampled_from(["restricted", "baseline", "privileged", "bogus"]),
                    ),
                }
            ),
        }
    ),
)
not_resources = st.one_of(text, st.integers(), st.lists(text, max_size=2), st.none(), json_values)
items_lists = st.lists(st.one_of(workloads, workloads, odd_items), max_size=6) | st.lists(
    st.one_of(workloads, not_resources), min_size=1, max_size=3
)


def mutated(config: Any, data: st.DataObject) -> Any:
    """A config with one field, sometimes, replaced by something else."""
    config = yamlio.clone(config)
    if data.draw(st.integers(0, 3)):  # one config in four is broken
        return config
    path = data.draw(st.sampled_from(list(field_paths(config))))
    replace_at(config, path, data.draw(json_values))
    return config


def krm(resource_list: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
    """Run KRM mode in this process, so that any exception fails the test with its traceback."""
    try:
        output, code = run_resource_list(yamlio.dump(resource_list), io.StringIO())
    except yamlio.InputError:
        return None, 1
    return yamlio.load(output), code


def check_run(items: list[Any], config: Any) -> None:
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    }
    output, code = krm(yamlio.clone(resource_list))
    assert output is not None, "a parsed ResourceList is always answered"
    results = output["results"]
    errors = [r for r in results if r["severity"] == "error"]
    event(f"exit {code}, {'changed' if output['items'] != items else 'unchanged'}")
    if code == 1:
        assert errors, "exit 1 comes with an error result"
        assert output["items"] == items, "a run with errors changes nothing"
        return
    assert code == 0 and not errors
    out_items = output["items"]
    position = 0
    for before in items:  # in order; only what krm-fn generated earlier may be gone
        after = out_items[position] if position < len(out_items) else None
        if after is None or _identity(after) != _identity(before):
            assert _generated(before), f"{_identity(before)} is missing from the output"
            continue
        position += 1
        if before.get("kind") not in CHANGEABLE:  # a mapping that is no resource too
            assert after == before, "an item no pattern applies to comes back unchanged"
    for added in out_items[position:]:
        assert _generated(added), "every added resource says which config generated it"
    again, code_again = krm({**resource_list, "items": out_items})
    assert again is not None and code_again == 0
    assert again["items"] == out_items, "a second run changes nothing"


def _identity(item: Any) -> tuple[Any, ...]:
    return item.get("apiVersion"), item.get("kind"), (item.get("metadata") or {}).get("name")


def _generated(item: Any) -> bool:
    return GENERATED_BY in ((item.get("metadata") or {}).get("annotations") or {})


@given(items=items_lists, data=st.data())
def test_generated_resource_lists_with_example_configs(
    items: list[Any], data: st.DataObject
) -> None:
    _, config = data.draw(st.sampled_from(EXAMPLES))
    check_run(items, mutated(config, data))


@given(data=st.data())
def test_example_inputs_with_odd_items_added_and_configs_broken(data: st.DataObject) -> None:
    example_items, config = data.draw(st.sampled_from(EXAMPLES))
    extra = data.draw(st.lists(st.one_of(workloads, odd_items), max_size=3))
    items = yamlio.clone(example_items) + extra
    data.draw(st.randoms()).shuffle(items)
    check_run(items, mutated(config, data))


@given(items=items_lists, data=st.data())
def test_plugin_mode_never_raises_and_answers_all_or_nothing(
    items: list[Any], data: st.DataObject
) -> None:
    _, config = data.draw(st.sampled_from(EXAMPLES))
    try:
        output, code = run_plugin(yamlio.dump(config), yamlio.dump_all(items), io.StringIO())
    except yamlio.InputError:
        return
    if code == 1:
        assert output == ""  # kustomize stops the build: nothing half-done reaches it
    else:
        assert len(yamlio.load_all(output)) >= len([i for i in items if i is not None])
