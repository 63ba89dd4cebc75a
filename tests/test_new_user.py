"""What a new user trips on (issue 22): each point through the way in where it was found.

Warnings that kustomize and Helm hide can fail the build; a release's namespace matches targets;
several configs apply in order; kpt's kustomization files pass through; the webhook tells a pod's
author only what concerns the pod; messages say what to do; the conventions of kubectl and kpt
(results for scripts, shell completion, a pre-commit hook, `-o` as kpt has it).
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT, krm_fn_command, run, tool
from test_helm import helm
from test_webhook import config_dir, shop_pod
from webhooks import review

from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import answer, load_config_dir

EXAMPLE = EXAMPLES / "sidecar-log-shipper"
CONFIG = EXAMPLE / "log-shipper.yaml"
DEPLOYMENT = EXAMPLE / "deployment.yaml"


def krm_fn(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run([krm_fn_command(), *args], input=stdin, timeout=60, env=env)
    return done.returncode, done.stdout, done.stderr


def write(path: Path, documents: list[Any]) -> Path:
    path.write_text(yamlio.dump_all(documents))
    return path


def sidecar(**spec: Any) -> dict[str, Any]:
    config: dict[str, Any] = yamlio.load(CONFIG.read_text())
    config["spec"] |= spec
    return config


def graceful() -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "GracefulShutdown",
        "metadata": {"name": "drain"},
        "spec": {"sleepSeconds": 5},
    }


def defaults() -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "defaults"},
        "spec": {"labels": {"team": "shop"}},
    }


def pod_spec(documents: str) -> dict[str, Any]:
    [deployment] = [d for d in yamlio.load_all(documents) if d["kind"] == "Deployment"]
    spec: dict[str, Any] = deployment["spec"]["template"]
    return spec


# 1. warnings that kustomize and Helm hide ------------------------------------------------------
def plugin_kustomization(tmp_path: Path, config: dict[str, Any]) -> Path:
    folder = tmp_path / "app"
    folder.mkdir(parents=True)
    (folder / "deployment.yaml").write_text(DEPLOYMENT.read_text())
    write(folder / "sidecar.yaml", [config])
    (folder / "kustomization.yaml").write_text(
        "resources: [deployment.yaml]\ntransformers: [sidecar.yaml]\n"
    )
    code, _, err = krm_fn("install-plugins", str(tmp_path / "plugins"))
    assert code == 0, err
    return folder


def kubectl_kustomize(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KUSTOMIZE_PLUGIN_HOME": str(folder.parent / "plugins"), **env}
    return run(
        [tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(folder)],
        env=environment,
        timeout=120,
    )


def test_a_warning_kubectl_kustomize_hides_fails_the_build_with_fail_on_warnings(
    tmp_path: Path,
) -> None:
    typo = [{"kind": "Deployment", "name": "shpo"}]
    quiet = kubectl_kustomize(plugin_kustomization(tmp_path / "a", sidecar(targets=typo)))
    assert quiet.returncode == 0 and "matched no workload" not in quiet.stderr  # kustomize hides it
    strict = sidecar(targets=typo, failOnWarnings=True)
    failed = kubectl_kustomize(plugin_kustomization(tmp_path / "b", strict))
    assert failed.returncode == 1 and failed.stdout == ""
    assert 'Sidecar "log-shipper" matched no workload' in failed.stderr
    assert "failOnWarnings" in failed.stderr
    everywhere = kubectl_kustomize(
        plugin_kustomization(tmp_path / "c", sidecar(targets=typo)), KRM_FN_FAIL_ON_WARNINGS="true"
    )
    assert everywhere.returncode == 1 and "matched no workload" in everywhere.stderr


def test_fail_on_warnings_is_per_config_and_for_the_whole_run(tmp_path: Path) -> None:
    typo = write(tmp_path / "typo.yaml", [sidecar(targets=[{"name": "nothing"}])])
    labels = write(tmp_path / "labels.yaml", [defaults()])
    code, _, err = krm_fn("run", str(typo), str(DEPLOYMENT))
    assert code == 0 and "warning: " in err and "matched no workload" in err
    code, out, err = krm_fn("run", "--fail-on-warnings", str(typo), str(DEPLOYMENT))
    assert (code, out) == (1, "") and "error: " in err and "matched no workload" in err
    code, _, err = krm_fn(
        "run", str(typo), str(DEPLOYMENT), env={**os.environ, "KRM_FN_FAIL_ON_WARNINGS": "yes"}
    )
    assert code == 1 and "matched no workload" in err
    code, _, err = krm_fn(
        "run", str(typo), str(DEPLOYMENT), env={**os.environ, "KRM_FN_FAIL_ON_WARNINGS": "maybe"}
    )
    assert code == 1 and "use true or false" in err
    # per config: the strict config's warnings fail, another config's stay warnings
    spec = {"labels": {"team": "shop"}, "failOnWarnings": True, "targets": [{"name": "nothing"}]}
    strict = write(tmp_path / "strict.yaml", [{**defaults(), "spec": spec}])
    code, _, err = krm_fn("run", "-c", str(typo), "-c", str(labels), str(DEPLOYMENT))
    assert code == 0, err
    code, _, err = krm_fn("run", "-c", str(typo), "-c", str(strict), str(DEPLOYMENT))
    assert code == 1
    assert 'warning: Sidecar "log-shipper" matched no workload' in err
    assert 'error: PodDefaults "defaults" matched no workload' in err


@pytest.mark.parametrize("binary", ["helm", "helm4"])
def test_a_helm_releases_namespace_matches_targets(binary: str, tmp_path: Path) -> None:
    chart = tmp_path / "shop"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(DEPLOYMENT.read_text())
    config = write(tmp_path / "shop-only.yaml", [sidecar(targets=[{"namespace": "shop"}])])
    strict = write(
        tmp_path / "strict.yaml", [sidecar(targets=[{"namespace": "shop"}], failOnWarnings=True)]
    )
    home = tmp_path / "home"
    base = ["template", "web", str(chart), "-n", "shop"]
    plain = helm(*base, home=home, post_render=[str(config)], binary=binary)
    assert plain.returncode == 0, plain.stderr
    assert "initContainers" not in plain.stdout  # helm -n leaves metadata.namespace unset
    failed = helm(*base, home=home, post_render=[str(strict)], binary=binary)
    assert failed.returncode != 0  # Helm shows a post-renderer's messages only on failure:
    if binary == "helm":  # (Helm 4 through the plugin's own path to its stderr, not here)
        assert "workloads without metadata.namespace" in failed.stderr  # the warning says why
    named = helm(*base, home=home, post_render=["--namespace=shop", str(config)], binary=binary)
    assert named.returncode == 0, named.stderr
    spec = pod_spec(named.stdout)["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["access-log"]
    assert "namespace" not in yamlio.load_all(named.stdout)[0]["metadata"]  # not written
    # the Helm 4 plugin's command reads an exported HELM_NAMESPACE (Helm's default namespace)
    for namespace, injected in (("shop", True), ("other", False)):
        code, out, err = krm_fn(
            "helm-post-render",
            str(config),
            stdin=DEPLOYMENT.read_text(),
            env={**os.environ, "HELM_NAMESPACE": namespace},
        )
        assert code == 0 and ("initContainers" in out) == injected, err


# 4. several configs ---------------------------------------------------------------------------
def test_several_configs_apply_in_order_given_either_way(tmp_path: Path) -> None:
    first = write(tmp_path / "graceful.yaml", [graceful()])
    second = write(tmp_path / "defaults.yaml", [defaults()])
    both = write(tmp_path / "both.yaml", [graceful(), defaults()])
    outputs = []
    for args in (
        [str(first), str(second), str(DEPLOYMENT)],
        ["-c", str(first), "--config", str(second), str(DEPLOYMENT)],
        [str(both), str(DEPLOYMENT)],
    ):
        code, out, err = krm_fn("run", *args)
        assert code == 0, err
        template = pod_spec(out)
        assert template["metadata"]["labels"]["team"] == "shop"
        assert template["spec"]["terminationGracePeriodSeconds"] == 35
        outputs.append(out)
    assert outputs[0] == outputs[1] == outputs[2]
    code, _, err = krm_fn("run")
    assert code == 2 and "a config is required" in err


# 5. kpt on a kustomize directory ---------------------------------------------------------------
def kpt_eval(package: Path) -> Any:
    """`kpt fn eval PACKAGE --exec krm-fn --fn-config CONFIG`, as a user runs it."""
    command = [tool("kpt"), "fn", "eval", str(package), "--exec", krm_fn_command()]
    return run([*command, "--fn-config", str(CONFIG)], timeout=120)


def test_kpt_on_an_ordinary_kustomize_directory(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "deployment.yaml").write_text(DEPLOYMENT.read_text())
    kustomization = "resources: [deployment.yaml]\nnamespace: shop\n"
    (package / "kustomization.yaml").write_text(kustomization)
    done = kpt_eval(package)
    assert done.returncode == 0, done.stderr
    assert (package / "kustomization.yaml").read_text() == kustomization
    assert "access-log" in (package / "deployment.yaml").read_text()
    (package / "broken.yaml").write_text("- not\n- a resource\n")
    done = kpt_eval(package)
    assert done.returncode != 0


# 6. webhook answers ----------------------------------------------------------------------------
def test_the_webhook_tells_a_pod_only_what_concerns_it(tmp_path: Path) -> None:
    elsewhere = sidecar(targets=[{"namespace": "payments"}])
    elsewhere["metadata"]["name"] = "payments-only"
    unpinned = sidecar()
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


# 2, 3 are golden cases (ambassador/inbound-port-not-declared-error, migration/pod-level-user)
# 7. messages -----------------------------------------------------------------------------------
def test_messages_say_where_and_what_to_do(tmp_path: Path) -> None:
    toml = tmp_path / "sidecar.toml"
    toml.write_text('kind = "Sidecar"\n')
    code, _, err = krm_fn("run", str(toml), str(DEPLOYMENT))
    assert code == 1 and f"{toml} is not a krm-fn config" in err
    code, _, err = krm_fn("run", str(CONFIG), "-", stdin="")
    assert code == 1 and "--allow-empty" in err
    skeleton = tmp_path / "skeleton.yaml"
    code, out, _ = krm_fn("init", "Sidecar")
    skeleton.write_text(out)
    code, _, err = krm_fn("validate", str(skeleton))
    assert code == 1 and "spec.containers: is empty: fill in at least one item" in err
    assert "krm-fn explain Sidecar.containers" in err
    code, out, _ = krm_fn("explain")
    assert code == 0 and all(f"  {kind}" in out for kind in ("Sidecar", "PodPatterns"))
    code, out, _ = krm_fn("explain", "Ambassador")
    assert "\n- the app's containerPort" in out and "\n- a port another container" in out
    code, _, err = krm_fn("frobnicate")
    assert code == 2 and "'webhook'" in err and "'helm-post-render'" in err
    long_name = "a" * 65
    config = write(
        tmp_path / "tls.yaml",
        [
            {
                "apiVersion": "krm-fn.dev/v1alpha1",
                "kind": "Ambassador",
                "metadata": {"name": "tls"},
                "spec": {"inbound": {"port": 8080, "appPort": 8081, "tls": {"secretName": "t"}}},
            }
        ],
    )
    deployment = yamlio.load(DEPLOYMENT.read_text())
    deployment["metadata"]["name"] = long_name
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    code, _, err = krm_fn("run", str(config), "-", stdin=yamlio.dump(deployment))
    assert code == 1 and "each part between dots (a DNS label) at most 63" in err, err


# 8. noise --------------------------------------------------------------------------------------
def test_effective_requests_only_where_they_change(tmp_path: Path) -> None:
    code, _, err = krm_fn("run", str(write(tmp_path / "g.yaml", [graceful()])), str(DEPLOYMENT))
    assert code == 0 and "effective pod requests" not in err and "preStop" in err
    code, _, err = krm_fn("run", str(CONFIG), str(DEPLOYMENT))
    assert code == 0 and "effective pod requests: cpu=" in err


# 9. conventions --------------------------------------------------------------------------------
def test_results_for_scripts(tmp_path: Path) -> None:
    code, out, err = krm_fn("run", "--results", "json", str(CONFIG), str(DEPLOYMENT))
    assert code == 0 and "initContainers" in out
    results = json.loads(err)
    assert {r["severity"] for r in results} <= {"info", "warning"} and results
    assert all(
        set(r) <= {"message", "severity", "resourceRef", "field", "file", "tags"} for r in results
    )
    code, _, err = krm_fn("run", "--results", "yaml", str(CONFIG), "-", stdin="")
    [error] = yamlio.load(err)
    assert code == 1 and error["severity"] == "error" and "no resources" in error["message"]
    code, _, err = krm_fn("run", str(CONFIG), str(DEPLOYMENT), "-o", "json")
    assert code == 2 and "--results json" in err and not (Path.cwd() / "json").exists()


def completions(shell: str, line: list[str]) -> list[str]:
    """What the completion script offers for the last word of `line`, run in the real shell."""
    code, script, _ = krm_fn("completion", shell)
    assert code == 0
    if shell == "fish":
        command = f"source; complete -C {json.dumps(' '.join(line))}"
        done = run([tool("fish"), "-c", command], input=script, timeout=30)
        return [entry.split("\t")[0] for entry in done.stdout.splitlines()]
    words = " ".join(json.dumps(w) for w in line)
    call = f"COMP_WORDS=({words}); COMP_CWORD={len(line) - 1}; _krm_fn; "
    call += "printf '%s\\n' \"${COMPREPLY[@]}\""
    if shell == "zsh":
        init = "autoload -Uz compinit && compinit -u"
        done = run([tool("zsh"), "-f", "-c", f"{init}\n{script}\n{call}"], timeout=30)
    else:
        done = run([tool("bash"), "-c", f"{script}\n{call}"], timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion(shell: str) -> None:
    assert "run" in completions(shell, ["krm-fn", "ru"])
    assert "check" not in completions(shell, ["krm-fn", "ru"]) or shell == "zsh"  # zsh filters
    assert "--fail-on-warnings" in completions(shell, ["krm-fn", "run", "--fail"])
    assert {"json", "yaml"} <= set(completions(shell, ["krm-fn", "run", "--results", ""]))
    assert "PodDefaults" in completions(shell, ["krm-fn", "init", "Pod"])


def test_the_pre_commit_hook_runs_check_as_pre_commit_does(tmp_path: Path) -> None:
    [hook] = yamlio.load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
    entry = hook["entry"].split()
    assert entry[0] == "krm-fn"  # the console script the package installs
    command = [krm_fn_command(), *entry[1:], "--config", str(CONFIG)]  # args, then the files
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT.read_text())
    (tmp_path / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    files = [str(tmp_path / "deployment.yaml"), str(tmp_path / "kustomization.yaml")]
    done = run([*command, *files], timeout=60)
    assert done.returncode == 1 and "changed: Deployment/shop" in done.stdout
    code, _, err = krm_fn("run", "--config", str(CONFIG), "--in-place", *files)
    assert code == 0, err
    done = run([*command, *files], timeout=60)
    assert done.returncode == 0 and done.stdout == "", done.stdout


# the four jobs, first time, through every way in -------------------------------------------------
FLASK = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask
  namespace: shop
spec:
  selector:
    matchLabels: {app: flask}
  template:
    metadata:
      labels: {app: flask}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/flask-app:1.4.2
        ports:
        - {name: http, containerPort: 5000}
        readinessProbe:
          httpGet: {path: /healthz, port: 5000}
---
apiVersion: v1
kind: Service
metadata:
  name: flask
  namespace: shop
spec:
  selector: {app: flask}
  ports:
  - {port: 443, targetPort: 5000}
"""
ORDERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  namespace: shop
spec:
  selector:
    matchLabels: {app: orders}
  template:
    metadata:
      labels: {app: orders}
    spec:
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers:
      - name: api
        image: ghcr.io/example/orders-api:3.2.0
        envFrom:
        - secretRef: {name: orders-db}
"""
JOBS = {
    "log-shipping sidecar": ([yamlio.load(CONFIG.read_text())], DEPLOYMENT.read_text()),
    "TLS ambassador for a Flask app": (
        [
            {
                "apiVersion": "krm-fn.dev/v1alpha1",
                "kind": "Ambassador",
                "metadata": {"name": "tls"},
                "spec": {
                    "inbound": {"port": 5000, "appPort": 5001, "tls": {"secretName": "flask-tls"}},
                    "appArgs": ["--port=5001", "--host=127.0.0.1"],
                },
            }
        ],
        FLASK,
    ),
    "wait-for plus migration": (
        [
            {
                "apiVersion": "krm-fn.dev/v1alpha1",
                "kind": "PodPatterns",
                "metadata": {"name": "orders"},
                "spec": {
                    "patterns": [
                        {
                            "kind": "WaitFor",
                            "spec": {
                                "containerName": "wait-for-db",
                                "tcp": ["orders-db.databases.svc:5432"],
                            },
                        },
                        {
                            "kind": "Migration",
                            "spec": {
                                "command": ["/app/orders-api", "migrate", "up"],
                                "position": {"after": "wait-for-db"},
                            },
                        },
                    ]
                },
            }
        ],
        ORDERS,
    ),
    "graceful shutdown plus namespace defaults": ([graceful(), defaults()], ORDERS),
}


def normalized(stream: str) -> list[Any]:
    """Documents without what kustomize and kpt add or drop of their own, in a stable order."""
    documents = [
        d for d in yamlio.load_all(stream) if not str(d.get("apiVersion")).startswith("krm-fn.dev/")
    ]
    for document in documents:
        annotations = document.get("metadata", {}).get("annotations", {})
        for key in [
            k
            for k in annotations
            if k.startswith(("config.kubernetes.io/", "internal.config.kubernetes.io/"))
        ]:
            del annotations[key]
        if annotations == {} and "annotations" in document.get("metadata", {}):
            del document["metadata"]["annotations"]
    return sorted(documents, key=lambda d: (d["kind"], d["metadata"]["name"]))


@pytest.mark.parametrize("job", JOBS)
def test_a_new_users_four_jobs_work_first_time_through_every_way_in(
    job: str, tmp_path: Path
) -> None:
    configs, manifests = JOBS[job]
    paths = [write(tmp_path / f"config-{i}.yaml", [c]) for i, c in enumerate(configs)]
    (tmp_path / "app.yaml").write_text(manifests)
    args = [a for p in paths for a in ("-c", str(p))]
    code, by_run, err = krm_fn("run", "--fail-on-warnings", *args, str(tmp_path / "app.yaml"))
    assert code == 0 and "warning" not in err and "error" not in err, err
    assert by_run != manifests
    # kubectl kustomize with the legacy exec plugins, the configs as its transformers
    folder = tmp_path / "kustomize"
    folder.mkdir()
    (folder / "app.yaml").write_text(manifests)
    for path in paths:
        (folder / path.name).write_text(path.read_text())
    (folder / "kustomization.yaml").write_text(
        "resources: [app.yaml]\ntransformers: [" + ", ".join(p.name for p in paths) + "]\n"
    )
    assert krm_fn("install-plugins", str(tmp_path / "plugins"))[0] == 0
    built = kubectl_kustomize(folder, KRM_FN_FAIL_ON_WARNINGS="true")
    assert built.returncode == 0, built.stderr
    # kpt fn eval --exec, one config after the other, in place on a package
    package = tmp_path / "package"
    package.mkdir()
    (package / "app.yaml").write_text(manifests)
    for path in paths:
        done = run(
            [
                tool("kpt"),
                "fn",
                "eval",
                str(package),
                "--exec",
                krm_fn_command(),
                "--fn-config",
                str(path),
            ],
            timeout=120,
            env={**os.environ, "KRM_FN_FAIL_ON_WARNINGS": "true"},
        )
        assert done.returncode == 0, done.stderr
    by_kpt = "---\n".join(p.read_text() for p in sorted(package.glob("*.yaml")))  # + generated
    assert normalized(by_run) == normalized(built.stdout) == normalized(by_kpt)
