"""The webhook's Helm chart (charts/krm-fn-webhook): the kustomize package, for Helm users.

Rendered by the real helms (built from their Go modules), compared with the webhook package's
output (kustomization-examples/webhook/expected.yaml, which the example tests build with the
real kustomize and kpt), admitted by the real API server at "restricted", installed and upgraded
on the control plane.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import EXAMPLES, ROOT
from test_cluster import as_pods, crds, dry_run, level_of, namespace  # noqa: F401 (a fixture)
from test_helm import HELMS, helm

from krm_fn import reference
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.config import never_at_admission
from krm_fn.kinds import KINDS
from krm_fn.manifests import yamlio

CHART = ROOT / "charts" / "krm-fn-webhook"
PACKAGE = EXAMPLES / "webhook"
HELM_LABELS = ("app.kubernetes.io/managed-by", "helm.sh/chart")


def package_configs() -> dict[str, Any]:
    """The configs of the kustomize package's ConfigMap, as values: file name -> config."""
    configmap = yamlio.load((PACKAGE / "configs.yaml").read_text())
    return {name: yamlio.load(text) for name, text in configmap["data"].items()}


def render(home: Path, *values: str, binary: str = "helm") -> Any:
    """helm template of the chart as release `krm-fn` in namespace `krm-fn`."""
    args = ["template", "krm-fn", str(CHART), "--namespace", "krm-fn", *values]
    return helm(*args, home=home, binary=binary)


def rendered(home: Path, *values: str, binary: str = "helm") -> list[dict[str, Any]]:
    done = render(home, *values, binary=binary)
    assert done.returncode == 0, done.stderr
    return [d for d in yamlio.load_all(done.stdout) if d]


def comparable(resources: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """By kind and name; without Helm's labels and krm-fn's record; configs as data."""
    found = {}
    for resource in resources:
        meta = resource["metadata"]
        labels = {k: v for k, v in (meta.pop("labels", None) or {}).items() if k not in HELM_LABELS}
        if labels:
            meta["labels"] = labels
        pod_meta = ((resource.get("spec") or {}).get("template") or {}).get("metadata") or {}
        (pod_meta.get("annotations") or {}).pop(RECORD_ANNOTATION, None)
        if pod_meta.get("annotations") == {}:
            del pod_meta["annotations"]
        if resource["kind"] == "ConfigMap":
            resource["data"] = {k: yamlio.load(v) for k, v in resource["data"].items()}
        found[(resource["kind"], meta["name"])] = resource
    return found


@pytest.mark.parametrize("binary", HELMS)
def test_the_chart_lints_strictly(binary: str, tmp_path: Path) -> None:
    done = helm("lint", "--strict", str(CHART), home=tmp_path, binary=binary)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("binary", HELMS)
def test_the_chart_renders_what_the_kustomize_package_installs(binary: str, tmp_path: Path) -> None:
    values = ["--set", "image.repository=localhost/krm-fn"]
    values += ["--set-json", f"configs={json.dumps(package_configs())}"]
    chart = comparable(rendered(tmp_path, *values, binary=binary))
    package = yamlio.load_all((PACKAGE / "expected.yaml").read_text())
    # the Namespace is Helm's (--create-namespace), with its Pod Security label set by the user
    expected = comparable([r for r in package if r["kind"] != "Namespace"])
    assert chart.keys() == expected.keys()
    for key, resource in expected.items():
        assert chart[key] == resource, key


def test_without_cert_manager_a_secret_and_its_ca_are_required(tmp_path: Path) -> None:
    off = ["--set", "tls.certManager=false"]
    done = render(tmp_path, *off, "--set", "tls.caBundle=Q0E=")
    assert done.returncode == 1 and "tls.secretName is required without cert-manager" in done.stderr
    done = render(tmp_path, *off, "--set", "tls.secretName=mine")
    assert done.returncode == 1 and "tls.caBundle is required without cert-manager" in done.stderr
    resources = rendered(
        tmp_path, *off, "--set", "tls.secretName=mine", "--set", "tls.caBundle=Q0E="
    )
    kinds = {r["kind"] for r in resources}
    assert "Certificate" not in kinds and "Issuer" not in kinds
    [configuration] = [r for r in resources if r["kind"] == "MutatingWebhookConfiguration"]
    assert configuration["webhooks"][0]["clientConfig"]["caBundle"] == "Q0E="
    assert "annotations" not in configuration["metadata"]
    [deployment] = [r for r in resources if r["kind"] == "Deployment"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "mine"


def test_config_values_are_data_never_templates(tmp_path: Path) -> None:
    """Hostile strings in configs come out as they went in: Helm does not template values."""
    hostile = '{{ .Release.Name }} "quoted" \\ back: slash\n--- # not a document\n{{- fail "x" }}'
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "org"},
        "spec": {"annotations": {"note": hostile}, "labels": {"team": "1.10"}},
    }
    as_text = "apiVersion: krm-fn.dev/v1alpha1\nkind: PodDefaults\nmetadata: {name: text}\n"
    configs = {"hostile.yaml": config, "text.yaml": as_text}
    resources = rendered(tmp_path, "--set-json", f"configs={json.dumps(configs)}")
    [configmap] = [r for r in resources if r["kind"] == "ConfigMap"]
    assert yamlio.load(configmap["data"]["hostile.yaml"]) == config  # "1.10" still a string
    assert configmap["data"]["text.yaml"] == as_text
    excluded = ["--set-json", 'webhook.excludedNamespaces=["a\\"b", "{{ x }}"]']
    [configuration] = [
        r for r in rendered(tmp_path, *excluded) if r["kind"] == "MutatingWebhookConfiguration"
    ]
    [expression] = configuration["webhooks"][0]["namespaceSelector"]["matchExpressions"]
    assert expression["values"] == ['a"b', "{{ x }}", "krm-fn"]


def test_the_chart_is_admitted_at_restricted(
    cluster: ControlPlane,
    crds: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    values = ["--set-json", f"configs={json.dumps(package_configs())}"]
    resources = rendered(tmp_path, *values)
    assert level_of(resources) == "restricted"  # krm-fn's own check agrees with the server below
    ns = namespace(cluster, "krm-fn-chart", "restricted")
    for resource in resources:
        if "namespace" in resource["metadata"]:
            resource["metadata"]["namespace"] = ns
    done = dry_run(cluster, resources + as_pods(resources), tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("binary", HELMS)
def test_install_and_upgrade_on_the_control_plane(
    binary: str, cluster: ControlPlane, tmp_path: Path
) -> None:
    ns = f"{binary}-webhook-chart"
    target = [f"--kubeconfig={cluster.kubeconfig}", "--namespace", ns, "--create-namespace"]
    tls = ["--set", "tls.certManager=false", "--set", "tls.secretName=tls"]
    tls += ["--set", "tls.caBundle=Q0E=", "--set", "webhook.failurePolicy=Ignore"]
    configs = package_configs()
    release = f"krm-fn-{binary}"
    values = [*tls, "--set-json", f"configs={json.dumps(configs)}"]
    done = helm("install", release, str(CHART), *target, *values, home=tmp_path, binary=binary)
    assert done.returncode == 0, done.stderr
    try:

        def get(kind: str, name: str) -> dict[str, Any]:
            got = cluster.kubectl("get", kind, name, "-n", ns, "-o", "json", check=True)
            return dict(json.loads(got.stdout))

        deployment = get("deployment", f"{release}-webhook")
        assert deployment["spec"]["replicas"] == 2
        configuration = get("mutatingwebhookconfiguration", release)
        assert configuration["webhooks"][0]["clientConfig"]["service"]["namespace"] == ns
        # new configs: the ConfigMap changes, the Deployment does not roll (the webhook reloads)
        configs["second.yaml"] = {
            "apiVersion": "krm-fn.dev/v1alpha1",
            "kind": "PodDefaults",
            "metadata": {"name": "org"},
            "spec": {"labels": {"team": "shop"}},
        }
        values = [*tls, "--set-json", f"configs={json.dumps(configs)}"]
        upgrade = ["upgrade", release, str(CHART), *target, *values]
        done = helm(*upgrade, home=tmp_path, binary=binary)
        assert done.returncode == 0, done.stderr
        data = get("configmap", f"{release}-configs")["data"]
        assert set(data) == {"log-shipper.yaml", "second.yaml"}
        after = get("deployment", f"{release}-webhook")
        assert after["metadata"]["generation"] == deployment["metadata"]["generation"]
    finally:
        uninstall = ["uninstall", release, f"--kubeconfig={cluster.kubeconfig}", "--namespace", ns]
        assert helm(*uninstall, home=tmp_path, binary=binary).returncode == 0


def test_the_values_schema_is_what_the_models_generate() -> None:
    written = (ROOT / reference.CHART_SCHEMA).read_text()
    assert written == json.dumps(reference.chart_values_schema(), indent=2) + "\n", (
        "stale: run make validators"
    )


def bundle(patterns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodPatterns",
        "metadata": {"name": "bundle"},
        "spec": {"patterns": patterns},
    }


def example_configs() -> dict[str, Any]:
    """Every config document of the examples a webhook can take, by a file name of its own."""
    found = {}
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        for index, document in enumerate(yamlio.load_all(path.read_text())):
            kind = document.get("kind") if isinstance(document, dict) else None
            if kind not in KINDS or "spec" not in document:
                continue
            inner = {p.get("kind") for p in document["spec"].get("patterns") or []}
            if not ({kind} | inner) & never_at_admission():
                found[f"{path.parent.name}-{path.stem}-{index}.yaml"] = document
    return found


@pytest.mark.parametrize("binary", HELMS)
def test_helm_takes_every_example_config_and_names_the_field_of_a_bad_one(
    binary: str, tmp_path: Path
) -> None:
    configs = example_configs()
    kinds = {c["kind"] for c in configs.values()}
    kinds |= {p["kind"] for c in configs.values() for p in c["spec"].get("patterns", [])}
    assert kinds == set(KINDS) - never_at_admission()  # every kind, some inside a PodPatterns
    (tmp_path / "values.yaml").write_text(yamlio.dump({"configs": configs}))
    done = render(tmp_path, "-f", str(tmp_path / "values.yaml"), binary=binary)
    assert done.returncode == 0, done.stderr
    sidecar = yamlio.load((EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml").read_text())
    bad_values = [
        (
            {"configs": {"s.yaml": {**sidecar, "spec": {**sidecar["spec"], "podOptOut": "yes"}}}},
            "/configs/s.yaml/spec/podOptOut",
        ),
        (
            {"configs": {"s.yaml": {**sidecar, "spec": {**sidecar["spec"], "sidecars": []}}}},
            "/configs/s.yaml/spec",
        ),
        ({"configs": {"s.yaml": {**sidecar, "kind": "Ambassador"}}}, "/configs/s.yaml/kind"),
        (
            {"configs": {"s.yaml": {**sidecar, "apiVersion": "apps/v1"}}},
            "/configs/s.yaml/apiVersion",
        ),
        ({"configs": {"a: b.yaml": sidecar}}, "'a: b.yaml'"),  # (the library's path: random)
        ({"configs": {"notes.txt": sidecar}}, "'notes.txt'"),
        (
            {"configs": {"b.yaml": bundle([{"kind": "Ambassador", "spec": {}}])}},
            "/configs/b.yaml/spec/patterns/0/kind",
        ),
        (
            {
                "configs": {
                    "b.yaml": bundle(
                        [{"kind": "Sidecar", "spec": {**sidecar["spec"], "podOptOut": "no"}}]
                    )
                }
            },
            "/configs/b.yaml/spec/patterns/0/spec/podOptOut",
        ),
        ({"replicas": 0}, "/replicas"),
        ({"webhook": {"failurePolicy": "Sometimes"}}, "/webhook/failurePolicy"),
        ({"replica": 3}, "replica"),
    ]
    for values, where in bad_values:
        (tmp_path / "bad.yaml").write_text(yamlio.dump(values))
        done = render(tmp_path, "-f", str(tmp_path / "bad.yaml"), binary=binary)
        assert done.returncode == 1 and "schema" in done.stderr, (values, done.stderr)
        assert where in done.stderr, (where, done.stderr)


def test_the_packaged_chart_carries_its_schema_and_installs_from_the_archive(
    tmp_path: Path,
) -> None:
    """What the release pushes: `helm package`, then a template from the archive."""
    import tarfile

    done = helm("package", str(CHART), "--destination", str(tmp_path), home=tmp_path)
    assert done.returncode == 0, done.stderr
    [archive] = tmp_path.glob("krm-fn-webhook-*.tgz")
    with tarfile.open(archive) as packed:
        names = packed.getnames()
    assert "krm-fn-webhook/values.schema.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    (tmp_path / "bad.yaml").write_text(yamlio.dump({"replicas": 0}))
    bad = helm("template", "x", str(archive), "-f", str(tmp_path / "bad.yaml"), home=tmp_path)
    assert bad.returncode == 1 and "/replicas" in bad.stderr


def test_the_network_policy_admits_the_api_server_where_its_addresses_are_given(
    tmp_path: Path,
) -> None:
    peers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    resources = rendered(
        tmp_path,
        "--set-json",
        'networkPolicy.apiServer=["10.0.0.1/32", "fd00::1/128"]',
        "--set-json",
        f"networkPolicy.metricsFrom={json.dumps(peers)}",
    )
    [policy] = [r for r in resources if r["kind"] == "NetworkPolicy"]
    webhook, metrics = policy["spec"]["ingress"]
    assert webhook == {
        "ports": [{"port": "https", "protocol": "TCP"}],
        "from": [{"ipBlock": {"cidr": "10.0.0.1/32"}}, {"ipBlock": {"cidr": "fd00::1/128"}}],
    }
    assert metrics == {"ports": [{"port": "metrics", "protocol": "TCP"}], "from": peers}
    hostile = '["10.0.0.1/32\\n    - ipBlock: {cidr: 0.0.0.0/0}"]'  # a value is never YAML
    done = render(tmp_path, "--set-json", f"networkPolicy.apiServer={hostile}")
    assert done.returncode == 1 and "networkPolicy" in done.stderr
    off = rendered(tmp_path, "--set", "networkPolicy.enabled=false")
    assert "NetworkPolicy" not in {r["kind"] for r in off}


@pytest.mark.parametrize("binary", HELMS)
def test_the_admission_policy_switch_installs_the_policy_and_nothing_else(
    binary: str, cluster: ControlPlane, tmp_path: Path
) -> None:
    """`--set-file admissionPolicy=policy.yaml`: the chart installs what the command wrote, as it
    is, and none of the webhook; pods of the namespaces it selects come out injected."""
    from test_admission_policy import create, pods_of, policy, split, wait_for_policy

    example = EXAMPLES / "sidecar-log-shipper"
    compiled = tmp_path / "policy.yaml"
    label = f"{binary}-chart"
    done = policy(split(example)[0], f"krm-fn-{label}", label, "-o", str(compiled))
    assert done.returncode == 0, done.stderr
    values = ["--set-file", f"admissionPolicy={compiled}"]
    made = rendered(tmp_path, *values, binary=binary)
    assert made == yamlio.load_all(compiled.read_text())
    ns = f"{binary}-policy-chart"
    target = [f"--kubeconfig={cluster.kubeconfig}", "--namespace", ns, "--create-namespace"]
    release = f"krm-fn-policy-{binary}"
    done = helm("install", release, str(CHART), *target, *values, home=tmp_path, binary=binary)
    assert done.returncode == 0, done.stderr
    try:
        served = cluster.namespace(f"{label}-pods", {"krm-fn.dev/admission-policy": label})
        wait_for_policy(cluster, served)
        [(pod, _)] = pods_of(next(r for r in split(example)[1] if r["kind"] == "Deployment"))
        created = create(cluster, served, pod)
        assert created.returncode == 0, created.stderr
        names = [c["name"] for c in json.loads(created.stdout)["spec"]["initContainers"]]
        assert names == ["access-log"]
    finally:
        uninstall = ["uninstall", release, f"--kubeconfig={cluster.kubeconfig}", "--namespace", ns]
        assert helm(*uninstall, home=tmp_path, binary=binary).returncode == 0
