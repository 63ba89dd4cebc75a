"""The plugin run by the real Argo CD (tests/argocd.py), syncing apps into a real control plane.

- every example is an Application whose source uses the plugin: synced, the objects the API
  server stores are the example's expected.yaml (up to what the server and Argo CD add), and a
  refresh finds nothing to change;
- the examples krm-fn refuses show krm-fn's message as the Application's ComparisonError, and
  nothing is applied; an empty build is refused and the app's resources stay, auto-prune on;
- `plugin.env` (ARGOCD_ENV_*) and `plugin.parameters` reach krm-fn, the parameters are announced
  to the UI, the cluster's version reaches the plugin;
- a Helm chart in Git is rendered by the same plugin and gets its configs;
- with krm-fn's webhook on the same control plane and the same configs, the pods the
  controllers make from a synced app get an empty patch, and the Application stays Synced.
"""

import copy
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argocd import ArgoCD, argocd, condition, plugin_yaml, synced
from cluster import ControlPlane, control_plane
from support import EXAMPLES, normalize, run, tool

from krm_fn.argocd import PARAMETERS
from krm_fn.manifests import yamlio

ALL_EXAMPLES = sorted(d for d in EXAMPLES.iterdir() if (d / "kustomization.yaml").exists())
BUILT = [d for d in ALL_EXAMPLES if (d / "expected.yaml").exists()]
REFUSED = [d for d in ALL_EXAMPLES if not (d / "expected.yaml").exists()]
CRDS = Path(__file__).parent / "crds"
CHART = Path(__file__).parent / "charts" / "shop"
INSTALL = Path(__file__).resolve().parent.parent / ".build" / "argocd" / "install.yaml"


def app_name(example: Path) -> str:
    return f"ex-{example.name}"[:53]


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A control plane of its own: the examples' cluster-wide objects stay out of other tests."""
    with control_plane(tmp_path_factory.mktemp("argocd-plane")) as started:
        started.kubectl("apply", "-f", str(CRDS), check=True)  # Rollout, cert-manager's kinds
        yield started


@pytest.fixture(scope="module")
def argo(plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArgoCD]:
    """Argo CD with a Git repository holding every example under apps/ and a chart."""
    with argocd(plane, tmp_path_factory.mktemp("argocd")) as started:
        for example in ALL_EXAMPLES:
            shutil.copytree(example, started.repo / "apps" / example.name)
        chart = Path(shutil.copytree(CHART, started.repo / "charts" / "shop"))
        shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", chart)
        (chart / "values-prod.yaml").write_text("replicas: 2\nimage: nginx:1.27.3\n")
        (chart / "templates" / "capabilities.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cluster\n"
            "data:\n  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        )
        # pinned to this commit: the commits of later tests do not sync the examples again (the
        # webhook example's configuration, which its test removes, would come back)
        revision = started.commit("apps")
        started.apply(
            *[
                started.application(app_name(e), f"apps/{e.name}", app_name(e), revision=revision)
                for e in ALL_EXAMPLES
            ]
        )
        yield started


def live(plane: ControlPlane, resource: dict[str, Any], namespace: str) -> dict[str, Any]:
    kind, name = resource["kind"], resource["metadata"]["name"]
    where = ["-n", resource["metadata"].get("namespace", namespace)]
    api = resource["apiVersion"].split("/")[0] if "/" in resource["apiVersion"] else ""
    kind_name = f"{kind}.{api}" if api and api not in ("apps", "batch", "v1") else kind
    done = plane.kubectl("get", kind_name, name, *where, "-o", "json")
    assert done.returncode == 0, f"{kind}/{name} is not in the cluster: {done.stderr}"
    return dict(json.loads(done.stdout))


def without_token_volume(stored: dict[str, Any]) -> dict[str, Any]:
    """A Pod without the service account token volume the API server adds to every pod."""
    if stored["kind"] != "Pod":
        return stored
    spec = stored["spec"]
    added = {v["name"] for v in spec.get("volumes", []) if v["name"].startswith("kube-api-access-")}
    spec["volumes"] = [v for v in spec.get("volumes", []) if v["name"] not in added]
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        mounts = [m for m in container.get("volumeMounts", []) if m["name"] not in added]
        container["volumeMounts"] = mounts
    return stored


def contained(expected: Any, stored: Any, path: str = "") -> list[str]:
    """Where `stored` differs from `expected`, ignoring what only `stored` has (defaults)."""
    if isinstance(expected, dict) and isinstance(stored, dict):
        return [d for k, v in expected.items() for d in contained(v, stored.get(k), f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(stored, list):
        if len(expected) != len(stored):
            return [f"{path}: {len(expected)} items expected, {len(stored)} stored"]
        return [
            d
            for i, (e, s) in enumerate(zip(expected, stored, strict=True))
            for d in contained(e, s, f"{path}[{i}]")
        ]
    if expected != stored and not _same_quantity(expected, stored):
        return [f"{path}: expected {expected!r}, stored {stored!r}"]
    return []


def _same_quantity(expected: Any, stored: Any) -> bool:
    """The API server writes quantities in canonical form (1000m -> 1)."""
    from krm_fn.kube.quantities import parse_quantity

    try:
        return bool(parse_quantity(str(expected)) == parse_quantity(str(stored)))
    except (ValueError, TypeError):
        return False


@pytest.mark.parametrize("example", BUILT, ids=[d.name for d in BUILT])
def test_every_example_syncs_through_argo_cd_to_its_expected_output(
    example: Path, argo: ArgoCD, plane: ControlPlane
) -> None:
    name = app_name(example)
    app = argo.wait(name, synced, "Synced")
    assert not condition(app, "ComparisonError"), condition(app, "ComparisonError")
    sidecar_log = argo.logs["argocd-cmp-server"].read_text()  # generated by the warm krm-fn
    assert f"krm-fn argocd-sidecar: generated app {name!r} in " in sidecar_log
    expected = normalize(yamlio.load_all((example / "expected.yaml").read_text()))
    for resource in expected:
        stored = live(plane, resource, name)
        annotations = stored["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/tracking-id", "").startswith(f"{name}:")
        wanted = copy.deepcopy(resource)
        wanted["metadata"].pop("namespace", None)
        differences = contained(wanted, without_token_volume(stored))
        assert not differences, f"{resource['kind']}/{resource['metadata']['name']}: {differences}"
    managed = {(r["kind"], r["name"]) for r in app["status"].get("resources", [])}
    assert managed == {(r["kind"], r["metadata"]["name"]) for r in expected}
    # a second refresh: the same manifests, nothing out of sync
    reconciled = app["status"]["reconciledAt"]
    argo.refresh(name)
    again = argo.wait(
        name,
        lambda a: (
            a.get("status", {}).get("reconciledAt", "") > reconciled
            and "argocd.argoproj.io/refresh" not in a["metadata"].get("annotations", {})
        ),
        "refreshed",
    )
    assert synced(again), again["status"]["sync"]
    assert again["status"]["sync"]["revision"] == app["status"]["sync"]["revision"]
    if example.name == "webhook":  # its webhook (failurePolicy Fail) would stop later tests' pods
        plane.kubectl("delete", "mutatingwebhookconfiguration", "krm-fn", check=True)
    if example.name == "admission-policy":  # the synced policy lets the synced app's pods in
        deadline = time.monotonic() + 60
        while True:
            listed = plane.kubectl("get", "pods", "-n", "shop", "-o", "json", check=True)
            pods = json.loads(listed.stdout)["items"]
            if len(pods) == 2:
                break
            events = plane.kubectl("get", "events", "-n", "shop").stdout
            assert time.monotonic() < deadline, events
            time.sleep(0.5)
        assert all([c["name"] for c in p["spec"]["initContainers"]] == ["access-log"] for p in pods)
        # and its policies go, as the webhook's configuration does, whatever they select
        kinds = "mutatingadmissionpolicy,validatingadmissionpolicy"
        plane.kubectl("delete", kinds, "krm-fn", check=True)


def comparison_error(app: dict[str, Any]) -> bool:
    return bool(condition(app, "ComparisonError"))


@pytest.mark.parametrize("example", REFUSED, ids=[d.name for d in REFUSED])
def test_a_refused_example_shows_krm_fns_error_and_applies_nothing(
    example: Path, argo: ArgoCD, plane: ControlPlane
) -> None:
    name = app_name(example)
    app = argo.wait(name, comparison_error, "showing a ComparisonError")
    message = condition(app, "ComparisonError")
    kustomization = yamlio.load((example / "kustomization.yaml").read_text())
    config = yamlio.load((example / kustomization["transformers"][0]).read_text())
    name = config["metadata"]["name"]  # a PodPatterns bundle's patterns are NAME.PATTERN
    assert f' "{name}"' in message or f' "{name}.' in message, message  # names the config
    assert "spec.template.spec." in message, message  # and the field
    assert app["status"]["sync"]["status"] != "Synced"
    assert "operationState" not in app["status"]  # no sync was attempted
    listed = plane.kubectl("get", "deployments,statefulsets,pods", "-n", name, "-o", "name")
    assert listed.stdout.strip() == ""


def mutable_app(argo: ArgoCD, name: str, **options: Any) -> Path:
    """A copy of the log-shipper example at apps-mutable/NAME, committed, as an Application."""
    source = EXAMPLES / "sidecar-log-shipper"
    path = Path(shutil.copytree(source, argo.repo / "apps-mutable" / name))
    argo.commit(f"add {name}")
    argo.apply(argo.application(name, f"apps-mutable/{name}", name, **options))
    return path


def deployment(plane: ControlPlane, namespace: str, name: str = "shop") -> dict[str, Any]:
    done = plane.kubectl("get", "deployment", name, "-n", namespace, "-o", "json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource["spec"]["template"]["spec"])


def test_a_broken_config_or_an_empty_build_leaves_the_synced_resources_alone(
    argo: ArgoCD, plane: ControlPlane
) -> None:
    path = mutable_app(argo, "broken-later")
    argo.wait("broken-later", synced, "Synced")
    synced_uid = deployment(plane, "broken-later")["metadata"]["uid"]
    config = path / "log-shipper.yaml"
    config.write_text(config.read_text().replace("  containers:\n", "  containerz:\n", 1))
    argo.commit("a typo in the config")
    argo.refresh("broken-later")
    app = argo.wait("broken-later", comparison_error, "showing a ComparisonError")
    message = condition(app, "ComparisonError")
    assert "Sidecar/log-shipper spec.containerz: unknown field" in message, message
    (path / "log-shipper.yaml").write_text(
        (EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml").read_text()
    )
    (path / "kustomization.yaml").write_text("resources: []\ntransformers: [log-shipper.yaml]\n")
    argo.commit("an empty build")
    argo.refresh("broken-later")
    app = argo.wait(
        "broken-later",
        lambda a: "no resources" in condition(a, "ComparisonError"),
        "refusing the empty build",
    )
    time.sleep(5)  # auto-prune had its chance
    assert deployment(plane, "broken-later")["metadata"]["uid"] == synced_uid
    history = argo.get("broken-later")["status"].get("history", [])
    assert len(history) == 1  # no sync after the first


def test_plugin_env_and_parameters_reach_krm_fn(argo: ArgoCD, plane: ControlPlane) -> None:
    mutable_app(argo, "env-1-28", env={"KRM_FN_KUBERNETES_VERSION": "1.28"})
    mutable_app(argo, "param-1-28", parameters=[{"name": "kubernetes-version", "string": "1.28"}])
    mutable_app(argo, "cluster-version")
    for name in ("env-1-28", "param-1-28"):
        argo.wait(name, synced, "Synced")
        spec = pod_spec(deployment(plane, name))
        assert [c["name"] for c in spec["containers"]] == ["shop", "access-log"], name
        assert "initContainers" not in spec
    argo.wait("cluster-version", synced, "Synced")
    spec = pod_spec(deployment(plane, "cluster-version"))  # the cluster's version: native
    assert [(c["name"], c["restartPolicy"]) for c in spec["initContainers"]] == [
        ("access-log", "Always")
    ]


def test_a_bad_parameter_is_an_error_naming_it(argo: ArgoCD) -> None:
    mutable_app(argo, "bad-param", parameters=[{"name": "strict", "string": "maybe"}])
    app = argo.wait("bad-param", comparison_error, "showing a ComparisonError")
    assert "parameter strict" in condition(app, "ComparisonError")


def test_the_plugin_announces_its_parameters(argo: ArgoCD) -> None:
    details = argo.app_details("apps/sidecar-log-shipper")
    announced = details["plugin"]["parametersAnnouncement"]
    assert [p["name"] for p in announced] == list(PARAMETERS)
    kinds = {p["name"]: p.get("collectionType", "string") for p in announced}
    assert kinds == {name: kind for name, (kind, _) in PARAMETERS.items()}
    assert all(p.get("title") and p.get("tooltip") for p in announced)


def test_a_helm_chart_through_the_plugin(argo: ArgoCD, plane: ControlPlane) -> None:
    parameters = [
        {"name": "values-files", "array": ["values-prod.yaml"]},
        {"name": "values", "string": "migrate: false\nport: 8081\n"},
        {"name": "release-name", "string": "shop-prod"},
    ]
    argo.apply(argo.application("chart", "charts/shop", "chart", parameters=parameters))
    app = argo.wait("chart", synced, "Synced")
    stored = deployment(plane, "chart", "shop-prod")  # the release name
    assert stored["spec"]["replicas"] == 2  # the values file
    spec = pod_spec(stored)
    assert spec["containers"][0]["image"] == "nginx:1.27.3"
    assert spec["containers"][0]["ports"][0]["containerPort"] == 8081  # the values
    assert [c["name"] for c in spec["initContainers"]] == ["access-log"]  # the config beside it
    kinds = {r["kind"] for r in app["status"]["resources"]}
    assert "Job" not in kinds  # migrate: false
    capabilities = plane.kubectl(
        "get", "configmap", "shop-prod-cluster", "-n", "chart", "-o", "jsonpath={.data.kubeVersion}"
    )
    assert capabilities.stdout == "v1.37.2"  # KUBE_VERSION reached the plugin
    manifests = argo.manifests("chart")
    assert {m["kind"] for m in manifests} == {"Deployment", "Service", "ConfigMap"}


ANSWERS = re.compile(r'krm_fn_webhook_requests_total\{reason="([^"]*)",result="([^"]*)"\} (\S+)')


def answered(webhook: Any) -> dict[tuple[str, str], float]:
    """The webhook's answers so far, by outcome and reason (its /metrics)."""
    counts = {}
    for line in webhook.health("/metrics")[1].splitlines():
        match = ANSWERS.match(line)
        if match:
            counts[(match.group(2), match.group(1))] = float(match.group(3))
    return counts


def test_both_modes_at_once_no_drift(argo: ArgoCD, plane: ControlPlane, tmp_path: Path) -> None:
    from test_webhook_cluster import apply, ca_bundle, configuration
    from webhooks import webhook_server, write_certs

    configs = tmp_path / "configs"
    configs.mkdir()
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", configs)
    plane.namespace("both-modes", {"krm-fn.dev/webhook": "enabled"})
    with webhook_server(configs, write_certs(tmp_path / "tls"), workers=1) as webhook:
        apply(plane, configuration("krm-fn-both-modes", webhook.url, ca_bundle(webhook)))
        time.sleep(1)  # the API server picks up webhook configurations asynchronously
        before = answered(webhook)
        mutable_app(argo, "both-modes")
        app = argo.wait("both-modes", synced, "Synced")
        template = pod_spec(deployment(plane, "both-modes"))
        deadline = time.monotonic() + 60
        while not (
            pods := json.loads(
                plane.kubectl("get", "pods", "-n", "both-modes", "-o", "json").stdout
            )["items"]
        ):
            assert time.monotonic() < deadline, plane.log_tail()
            time.sleep(0.5)
        after = answered(webhook)
        # the webhook saw each pod, found it injected as its config would, and patched nothing
        assert after.get(("unchanged", "already injected"), 0) - before.get(
            ("unchanged", "already injected"), 0
        ) == len(pods), after
        assert after.get(("injected", ""), 0) == before.get(("injected", ""), 0), after
        for pod in pods:
            names = [c["name"] for c in pod["spec"].get("initContainers", [])]
            assert names == [c["name"] for c in template["initContainers"]]  # no second sidecar
            assert [c["name"] for c in pod["spec"]["containers"]] == ["shop"]
        argo.refresh("both-modes")
        time.sleep(3)
        again = argo.wait("both-modes", synced, "Synced")
        assert again["status"]["sync"]["revision"] == app["status"]["sync"]["revision"]


def test_the_install_steps_work_as_written(tmp_path: Path) -> None:
    """The example README's install lines, on Argo CD's own install.yaml of the pinned module.

    On a control plane of its own: where the examples are synced, Argo CD owns the fields of the
    argocd-cmp-plugin example's argocd-repo-server, and the install's server-side apply would
    conflict with them (or race an automated sync).
    """
    with control_plane(tmp_path / "plane") as plane:
        plane.namespace("argocd")  # as Argo CD's own install steps make it
        install_as_written(plane, tmp_path)


def install_as_written(plane: ControlPlane, tmp_path: Path) -> None:
    from support import VENV

    readme = (EXAMPLES / "argocd-cmp-plugin" / "README.md").read_text()
    lines = readme.split("\n## Install\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    url = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.1/manifests/install.yaml"
    assert url in lines
    work = tmp_path / "install"
    work.mkdir()
    for name in ("plugin-configmap.yaml", "cmp-sidecar.yaml"):
        shutil.copy(EXAMPLES / "argocd-cmp-plugin" / name, work)
    shutil.copy(INSTALL, work / "install.yaml")  # no network here: the same file, from the module
    env = {
        "PATH": f"{VENV / 'bin'}:{Path(tool('kubectl')).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "KUBECONFIG": str(plane.kubeconfig),
    }
    done = run(
        ["bash", "-euo", "pipefail", "-c", lines.replace(url, "install.yaml")], cwd=work, env=env
    )
    assert done.returncode == 0, done.stderr
    spec = pod_spec(deployment(plane, "argocd", "argocd-repo-server"))
    [sidecar] = [c for c in spec["initContainers"] if c["name"] == "krm-fn"]
    assert sidecar["restartPolicy"] == "Always"
    assert sidecar["command"] == [
        "krm-fn",
        "argocd-sidecar",
        "/var/run/argocd/argocd-cmp-server",
    ]
    names = [c["name"] for c in spec["initContainers"]]
    assert names.index("copyutil") < names.index("krm-fn")  # argocd-cmp-server is there first
    mounts = {m["mountPath"]: m["name"] for m in sidecar["volumeMounts"]}
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"] == "krm-fn-cmp-plugin"
    stored = plane.kubectl(
        "get",
        "configmap",
        "krm-fn-cmp-plugin",
        "-n",
        "argocd",
        "-o",
        "jsonpath={.data.plugin\\.yaml}",
    )
    assert stored.stdout == plugin_yaml()
