"""The admission answer (krm_fn.webhook.admission), in process: one core, the same result.

Every kustomization example's pods, as their controllers would create them, get a patch that
makes them exactly the pod templates `krm-fn run` writes for the same configs (as Istio tests
kube-inject against its webhook); the golden cases with Pod inputs too. Then what only admission
has: reinvocation, opt-out, errors, versions, configs refused at load, selection by owner.
"""

import copy
import json
import os
import stat
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, krm_fn_command, normalize, run, shipper
from test_examples import ALL_EXAMPLES, IDS, configs, expected_errors, kustomization
from webhooks import REVIEW_SHAPES, forged_pod, patched, pods_of, review, shipper_configs, shop_pod

from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.config import load_config
from krm_fn.engine.deadline import Deadline
from krm_fn.framework import transform
from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import (
    ConfigDirError,
    ReviewError,
    answer,
    answer_body,
    load_config_dir,
)

CASES = Path(__file__).parent / "cases"
SIDECAR = EXAMPLES / "sidecar-log-shipper"


def config_dir(tmp_path: Path, documents: list[Any]) -> Path:
    """A config directory laid out like a mounted ConfigMap: keys behind `..data`."""
    data = tmp_path / "configs" / "..2026_11_23_00_00_00.000000001"
    data.mkdir(parents=True)
    (tmp_path / "configs" / "..data").symlink_to(data.name)
    for index, document in enumerate(documents):
        name = f"{index:02d}-{document.get('kind', 'x').lower()}.yaml"
        (data / name).write_text(yamlio.dump(document))
        (tmp_path / "configs" / name).symlink_to(f"..data/{name}")
    return tmp_path / "configs"


def example_configs(example: Path) -> list[Any]:
    return [yamlio.load(c.read_text()) for c in configs(example)]


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_the_webhook_gives_what_krm_fn_run_gives(example: Path, tmp_path: Path) -> None:
    if expected_errors(example):
        return  # refused at build time; test_cluster.py shows the server refusing them
    documents = example_configs(example)
    try:
        loaded = load_config_dir(str(config_dir(tmp_path, documents)))
    except ConfigDirError as err:
        kinds = {d["kind"] for d in documents} | {
            p["kind"] for d in documents for p in d["spec"].get("patterns", [])
        }
        assert "not at admission" in str(err) or "podTemplatePaths" in str(err), err
        assert kinds & {"Ambassador", "Adapter"} or "podTemplatePaths" in str(err)
        return
    built = {
        (r["kind"], r["metadata"]["name"]): r
        for r in normalize(yamlio.load_all((example / "expected.yaml").read_text()))
    }
    resources = [
        d
        for name in kustomization(example)["resources"]
        for d in yamlio.load_all((example / name).read_text())
    ]
    checked = 0
    for resource in resources:
        if (resource["kind"], resource["metadata"]["name"]) not in built:
            continue
        expected_pods = pods_of(built[(resource["kind"], resource["metadata"]["name"])])
        for (pod, _), (_, expected_template) in zip(pods_of(resource), expected_pods, strict=True):
            namespace = resource["metadata"].get("namespace", "shop")
            result = answer(review(pod, namespace), loaded)
            assert result.review["response"]["allowed"], result.review
            after = patched(pod, result.review)
            assert after["spec"] == expected_template["spec"]
            for key in ("labels", "annotations"):
                expected_meta = (expected_template.get("metadata") or {}).get(key) or {}
                got = {
                    k: v
                    for k, v in (after["metadata"].get(key) or {}).items()
                    if k != "pod-template-hash"
                }
                assert got == expected_meta, key
            again = answer(review(after, namespace), loaded)  # reinvocation: nothing more
            assert "patch" not in again.review["response"], again.review
            expected_pod = copy.deepcopy(pod)  # made at build time: nothing more either
            expected_pod["spec"] = copy.deepcopy(expected_template["spec"])
            for key in ("labels", "annotations"):
                values = (expected_template.get("metadata") or {}).get(key) or {}
                expected_pod["metadata"][key] = {**(pod["metadata"].get(key) or {}), **values}
            built_time = answer(review(expected_pod, namespace), loaded)
            assert "patch" not in built_time.review["response"], built_time.review
            checked += 1
    assert checked or not built


CASES_WITH_PODS = sorted(
    p.parent for p in CASES.glob("*/*/input.yaml") if "\nkind: Pod\n" in "\n" + p.read_text()
)


@pytest.mark.parametrize(
    "case", CASES_WITH_PODS, ids=[f"{c.parent.name}/{c.name}" for c in CASES_WITH_PODS]
)
def test_golden_cases_with_pods_through_the_webhook(case: Path, tmp_path: Path) -> None:
    config = yamlio.load((case / "config.yaml").read_text())
    try:
        loaded = load_config_dir(str(config_dir(tmp_path, [config])))
    except ConfigDirError:
        return  # a config error case: the same config at load is refused (test below)
    inputs = [i for i in yamlio.load_all((case / "input.yaml").read_text()) if i["kind"] == "Pod"]
    results = yamlio.load((case / "results.yaml").read_text()) or []
    refused = any(r["severity"] == "error" for r in results)
    built = yamlio.load_all((case / "expected.yaml").read_text())
    outputs = {i["metadata"]["name"]: i for i in built if i["kind"] == "Pod"}
    for pod in inputs:
        result = answer(
            review(copy.deepcopy(pod), pod["metadata"].get("namespace", "shop")), loaded
        )
        if refused and result.outcome == "denied":
            continue  # the build refused the whole case; the webhook refuses this pod
        after = patched(pod, result.review)
        assert after == outputs[pod["metadata"]["name"]]


def test_a_bad_config_in_the_directory_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    good = yamlio.load((SIDECAR / "log-shipper.yaml").read_text())
    bad = copy.deepcopy(good)
    bad["metadata"]["name"] = "bad"
    bad["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "lots"}}
    bad["spec"]["unknown"] = 1
    with pytest.raises(ConfigDirError) as refused:
        load_config_dir(str(config_dir(tmp_path, [good, bad])))
    assert "01-sidecar.yaml: spec.unknown: unknown field" in str(refused.value)


def test_patterns_that_change_other_resources_are_refused_at_load_saying_why(
    tmp_path: Path,
) -> None:
    ambassador = yamlio.load(
        (EXAMPLES / "elasticsearch-ambassador-tls" / "ambassador.yaml").read_text()
    )
    adapter = yamlio.load((EXAMPLES / "elasticsearch-adapter-metrics" / "adapter.yaml").read_text())
    with pytest.raises(ConfigDirError) as refused:
        load_config_dir(str(config_dir(tmp_path, [ambassador, adapter])))
    text = str(refused.value)
    assert "Ambassador" in text and "rewires the workload's Services" in text
    assert "Adapter" in text and "set services: false and monitor: none" in text
    adapter["spec"] |= {"services": False, "prometheusAnnotations": True}
    assert load_config_dir(str(config_dir(tmp_path / "b", [adapter]))).instances


def sidecar_dir(tmp_path: Path, **spec: Any) -> Any:
    config = yamlio.load((SIDECAR / "log-shipper.yaml").read_text())
    config["spec"] |= spec
    return load_config_dir(str(config_dir(tmp_path, [config])))


def test_answers_in_the_version_asked_and_echoes_the_uid(tmp_path: Path) -> None:
    loaded = sidecar_dir(tmp_path)
    for version in ("v1", "v1beta1"):
        request = review(shop_pod(), version=version, dryRun=True)
        result = answer(request, loaded)
        assert result.review["apiVersion"] == f"admission.k8s.io/{version}"
        assert result.review["response"]["uid"] == request["request"]["uid"]
        assert result.outcome == "injected"  # dry run: the same answer, no side effects


def test_opt_out_and_configs_pods_cannot_refuse(tmp_path: Path) -> None:
    pod = shop_pod()
    pod["metadata"].setdefault("annotations", {})["krm-fn.dev/inject"] = "false"
    result = answer(review(pod), sidecar_dir(tmp_path))
    assert (result.outcome, result.reason) == ("unchanged", "opted out")
    forced = answer(review(pod), sidecar_dir(tmp_path / "forced", podOptOut=False))
    assert forced.outcome == "injected"


def test_a_forged_record_on_the_pod_proves_nothing(tmp_path: Path) -> None:
    """The pod's author writes its annotations: a record claiming the sidecar is there (it is
    not) neither skips the injection nor removes anything."""
    pod = shop_pod()
    record = {"Sidecar/log-shipper": {"initContainers": {"access-log": "0" * 12}}}
    pod["metadata"].setdefault("annotations", {})[RECORD_ANNOTATION] = json.dumps(record)
    result = answer(review(pod), sidecar_dir(tmp_path))
    after = patched(pod, result.review)
    assert result.outcome == "injected"
    assert [c["name"] for c in after["spec"]["initContainers"]] == ["access-log"]
    assert [c["name"] for c in after["spec"]["containers"]] == ["shop"]


def test_an_error_denies_naming_the_config_unless_it_says_admit(tmp_path: Path) -> None:
    pod = shop_pod()
    pod["spec"]["initContainers"] = [{"name": "access-log", "image": "busybox:1"}]  # taken name
    denied = answer(review(pod), sidecar_dir(tmp_path))
    response = denied.review["response"]
    assert denied.outcome == "denied" and response["allowed"] is False
    assert (
        'Sidecar "log-shipper": container name "access-log" is already used'
        in response["status"]["message"]
    )
    assert "spec.initContainers[name=access-log]" in response["status"]["message"]
    admitted = answer(review(pod), sidecar_dir(tmp_path / "admit", onError="admit"))
    assert admitted.review["response"]["allowed"] is True
    assert "patch" not in admitted.review["response"]
    assert any("already used" in w for w in admitted.review["response"]["warnings"])


def test_targets_by_kind_and_name_select_through_the_pods_owner(tmp_path: Path) -> None:
    config = yamlio.load((SIDECAR / "log-shipper.yaml").read_text())
    config["spec"]["targets"] = [{"kind": "CronJob", "name": "nightly"}]
    loaded = load_config_dir(str(config_dir(tmp_path, [config])))
    pod = shop_pod()
    assert answer(review(pod), loaded).reason == "not selected"  # a Deployment's pod
    pod["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "nightly-29390400",
            "uid": "u",
            "controller": True,
        }
    ]
    pod["metadata"]["labels"].pop("pod-template-hash")
    assert answer(review(pod), loaded).outcome == "injected"


def test_not_a_pod_or_not_a_create_is_let_through(tmp_path: Path) -> None:
    loaded = sidecar_dir(tmp_path)
    update = review(shop_pod(), operation="UPDATE")
    assert answer(update, loaded).reason == "not a create"
    other = review(shop_pod())
    other["request"]["kind"] = {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert answer(other, loaded).reason == "not a pod"
    with pytest.raises(ValueError):
        answer({"apiVersion": "v1", "kind": "Pod"}, loaded)


def test_the_directory_keeps_the_order_of_its_files(tmp_path: Path) -> None:
    """Configs apply in file-name order, as a kustomize or kpt pipeline applies them in order."""
    documents = example_configs(EXAMPLES / "all-workload-kinds")
    documents.append(yamlio.load((SIDECAR / "log-shipper.yaml").read_text()))
    documents = [d for d in documents if not d["spec"].get("podTemplatePaths")] or documents[-1:]
    loaded = load_config_dir(str(config_dir(tmp_path, documents)))
    assert [i.key for i in loaded.instances] == [i.key for d in documents for i in load_config(d)]


def test_transform_and_the_webhook_share_the_core() -> None:
    import krm_fn.engine.admission as at_admission
    import krm_fn.engine.core
    import krm_fn.framework
    import krm_fn.webhook.admission as admission

    assert admission.inject is at_admission.inject  # and the admission policy's compiler
    assert at_admission.apply is krm_fn.engine.core.apply
    assert transform is krm_fn.framework.transform  # which calls core.transform, then apply


def test_the_webhook_tells_a_pod_only_what_concerns_it(tmp_path: Path) -> None:
    elsewhere = shipper(targets=[{"namespace": "payments"}])
    elsewhere["metadata"]["name"] = "payments-only"
    unpinned = shipper()
    unpinned["spec"]["containers"][0]["image"] = "busybox"
    loaded = load_config_dir(str(config_dir(tmp_path, [elsewhere, unpinned])))
    pod = shop_pod()
    pod["metadata"].pop("name", None)
    pod["metadata"]["generateName"] = "shop-7d9c4-"
    response = answer(review(pod), loaded).review["response"]
    warnings = response["warnings"]
    assert not any("matched no workload" in w or "payments" in w for w in warnings), warnings
    assert not any(w.lower().startswith("warning") for w in warnings), warnings
    [image] = [w for w in warnings if "has no tag" in w]
    assert image.startswith("Pod/shop/shop-7d9c4-* spec.initContainers[name=access-log]: ")


def test_past_its_deadline_a_review_stops_inside_the_run_and_is_denied_as_an_error(
    tmp_path: Path,
) -> None:
    configs = shipper_configs(tmp_path)
    result = answer(review(forged_pod(1500)), configs, deadline=time.monotonic() - 1)
    assert (result.outcome, result.reason) == ("error", "time budget")
    response = result.review["response"]
    assert response["allowed"] is False and "time budget" in response["status"]["message"]
    calls = []
    original = Deadline.check

    def counting(self: Deadline) -> None:
        calls.append(1)
        original(self)

    Deadline.check = counting  # type: ignore[method-assign]
    try:  # the run checks its deadline in its loops: once per pod, instance and record item
        assert (
            answer(review(forged_pod(1500)), configs, time.monotonic() + 60).outcome == "injected"
        )
    finally:
        Deadline.check = original  # type: ignore[method-assign]
    assert len(calls) > 1500


def test_a_body_of_nested_lists_is_refused_before_it_is_parsed_in_bounded_memory(
    tmp_path: Path,
) -> None:
    configs = shipper_configs(tmp_path)
    start = json.dumps(review(shop_pod()))[:-2]  # the review, open at the end of the request
    body = (start + ', "x": [' + "[]," * 1_000_000 + "[]]}}").encode()  # 3 MB, a million lists
    tracemalloc.start()
    try:
        result = answer_body(body, configs, time.monotonic() + 5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == "denied" and peak < 1024 * 1024, peak  # nothing was parsed
    assert "larger than krm-fn answers" in result.review["response"]["status"]["message"]
    assert result.review["response"]["uid"] == json.loads(start + "}}")["request"]["uid"]
    with pytest.raises(ReviewError):  # no uid to answer: the server says 400
        answer_body(b"[" * 100_000 + b"]" * 100_000, configs)


def test_a_config_pods_may_not_refuse_cannot_admit_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigDirError) as refused:
        shipper_configs(tmp_path, podOptOut=False, onError="admit")
    assert "log-shipper.yaml: Sidecar 'log-shipper': podOptOut: false with onError: admit" in str(
        refused.value
    )
    configs = shipper_configs(tmp_path, podOptOut=False)
    decoy = shop_pod()  # a container named like the sidecar: the pod is denied, not admitted bare
    decoy["spec"]["containers"].append({"name": "access-log", "image": "busybox:1.36"})
    denied = answer(review(decoy), configs)
    assert denied.outcome == "denied" and not denied.review["response"]["allowed"]


@pytest.mark.parametrize(
    "value",
    [
        '{"limits": {"memory": "lots"}}',
        '{"limits": {"memory": ["64Mi"]}}',
        '{"requests": {"cpu; rm -rf /": "1"}}',
        '{"requests": {"cpu": {"nested": "1"}}}',
    ],
)
def test_per_pod_resources_are_checked_as_quantities(value: str, tmp_path: Path) -> None:
    configs = shipper_configs(tmp_path, podOptOut=False)
    pod = shop_pod()
    pod["metadata"].setdefault("annotations", {})["krm-fn.dev/resources-access-log"] = value
    result = answer(review(pod), configs)
    assert result.outcome == "denied"
    assert "resource names and quantities" in result.review["response"]["status"]["message"]
    pod["metadata"]["annotations"]["krm-fn.dev/resources-access-log"] = (
        '{"limits": {"memory": "64Mi", "example.com/gpu": 1}}'
    )
    assert answer(review(pod), configs).outcome == "injected"


@pytest.mark.parametrize("shape", REVIEW_SHAPES)
def test_a_review_of_another_shape_is_a_bad_request_saying_what(shape: str, tmp_path: Path) -> None:
    configs = shipper_configs(tmp_path)
    body = review(shop_pod())
    REVIEW_SHAPES[shape](body)
    with pytest.raises(ReviewError) as refused:
        answer(json.loads(json.dumps(body)), configs)
    assert str(refused.value).startswith("request.")


def test_config_errors_of_the_webhook_name_file_and_field_never_the_value(tmp_path: Path) -> None:
    directory = tmp_path / "configs"
    directory.mkdir()
    secret = "s3cr3t-Pa55word"
    (directory / "vault.yaml").write_text(
        "apiVersion: krm-fn.dev/v1alpha1\nkind: VaultSecrets\nmetadata: {name: v}\n"
        f"spec:\n  address: 'vault://user:{secret}@vault.example:8200'\n"
        f"  secrets: [{{path: 'secret/data/db', file: db, field: {secret}x}}]\n"
        f"  image: '{secret} !'\n"
    )
    with pytest.raises(ConfigDirError) as refused:
        load_config_dir(str(directory))
    message = str(refused.value)
    assert "vault.yaml: spec.address: (the value) is not an http:// or https:// URL" in message
    assert secret not in message and "user:" not in message


def test_webhook_certs_writes_the_key_0600_and_never_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    out = tmp_path / "tls"
    out.mkdir()
    (out / "tls.key").symlink_to(victim)
    (out / "tls.crt").symlink_to(victim)
    old = os.umask(0)
    try:
        done = run(
            [
                krm_fn_command(),
                "webhook",
                "certs",
                "--service",
                "s",
                "--namespace",
                "n",
                "--dir",
                str(out),
            ]
        )
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "keep me\n"
    key = out / "tls.key"
    assert not key.is_symlink() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN")
    assert sorted(p.name for p in out.iterdir()) == ["ca.crt", "tls.crt", "tls.key"]
