"""The command line, through the installed `krm-fn` script: every way in, and its failures."""

import json
import os
import stat
from pathlib import Path

import pytest
from support import (
    EXAMPLES,
    ROOT,
    graceful_shutdown,
    krm_fn,
    krm_fn_command,
    pod_template,
    run,
    shipper,
    team_labels,
    write_documents,
)

from krm_fn.manifests import yamlio

EXAMPLE = EXAMPLES / "sidecar-log-shipper"
CONFIG = EXAMPLE / "log-shipper.yaml"
DEPLOYMENT = EXAMPLE / "deployment.yaml"


def resource_list(
    items: list[object], config: object, api_version: str = "config.kubernetes.io/v1"
) -> str:
    return yamlio.dump(
        {
            "apiVersion": api_version,
            "kind": "ResourceList",
            "items": items,
            "functionConfig": config,
        }
    )


def test_help_and_version() -> None:
    code, out, _ = krm_fn("--help")
    assert code == 0 and "krm-fn run CONFIG" in out and "install-plugins" in out
    code, out, _ = krm_fn("--version")
    assert code == 0 and out.startswith("krm-fn 0.")


def test_an_empty_stdin_is_an_error_that_points_to_the_help() -> None:
    with open(os.devnull) as devnull:
        done = run([krm_fn_command()], stdin=devnull, timeout=10)
    assert done.returncode == 1 and done.stdout == ""
    assert "stdin is empty: expected a ResourceList (see krm-fn --help)" in done.stderr


def test_krm_mode_accepts_v1beta1_and_keeps_the_version() -> None:
    items = yamlio.load_all(DEPLOYMENT.read_text())
    code, out, _ = krm_fn(
        stdin=resource_list(items, yamlio.load(CONFIG.read_text()), "config.kubernetes.io/v1beta1")
    )
    output = yamlio.load(out)
    assert code == 0
    assert output["apiVersion"] == "config.kubernetes.io/v1beta1"
    names = [c["name"] for c in output["items"][0]["spec"]["template"]["spec"]["initContainers"]]
    assert names == ["access-log"]
    assert all(r["severity"] == "info" for r in output["results"])


def test_krm_mode_error_keeps_every_item_and_exits_1() -> None:
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    items = [*yamlio.load_all(DEPLOYMENT.read_text()), configmap]
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Sidecar",
        "spec": {"containers": [{"name": "shop", "image": "x:1"}]},
    }
    code, out, err = krm_fn(stdin=resource_list(items, config))
    output = yamlio.load(out)
    assert code == 1
    assert output["items"] == items
    [error] = [r for r in output["results"] if r["severity"] == "error"]
    assert error["resourceRef"]["name"] == "shop"
    assert error["field"]["path"] == "spec.template.spec.containers[name=shop]"
    assert "Traceback" not in err


def test_malformed_input_is_a_message_not_a_traceback() -> None:
    for stdin, expected in [
        ("items: [", "not valid YAML"),
        ("apiVersion: v1\nkind: ConfigMap\n", "not a ResourceList"),
        ("apiVersion: config.kubernetes.io/v2\nkind: ResourceList\nitems: []\n", "is not one of"),
    ]:
        code, out, err = krm_fn(stdin=stdin)
        assert (code, out) == (1, ""), stdin
        assert expected in err and "Traceback" not in err, err


def test_items_that_are_not_resources_come_back_as_they_were_with_an_error_result() -> None:
    header = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
    for items, expected in [
        ([["a list"], {"apiVersion": "v1", "kind": "ConfigMap"}], "items[0] is not a"),
        ({"a": 1}, "ResourceList items must be a list of resources"),
        ([{"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": ["x"]}}], "labels must be"),
    ]:
        stdin = header + yamlio.dump(
            {"items": items, "functionConfig": yamlio.load(CONFIG.read_text())}
        )
        code, out, err = krm_fn(stdin=stdin)
        output = yamlio.load(out)
        assert code == 1 and output["items"] == items
        [error] = output["results"]
        assert error["severity"] == "error" and expected in error["message"]
        assert expected in err and "Traceback" not in err


def test_kpt_hands_over_a_kustomization_file_and_gets_it_back_untouched() -> None:
    kustomization = {"resources": ["deployment.yaml"], "namespace": "shop"}
    path = {"metadata": {"annotations": {"internal.config.kubernetes.io/path": "app.yaml"}}}
    items = [kustomization, yamlio.load(DEPLOYMENT.read_text()), ["a list", path]]
    stdin = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + yamlio.dump(
        {"items": items[:2], "functionConfig": yamlio.load(CONFIG.read_text())}
    )
    code, out, err = krm_fn(stdin=stdin)
    output = yamlio.load(out)
    assert code == 0, err
    assert output["items"][0] == kustomization
    assert output["items"][1] != items[1]  # the Deployment got the config's injection
    named = {**yamlio.load(DEPLOYMENT.read_text()), **path, "spec": "broken"}
    named["metadata"]["labels"] = "not a mapping"
    stdin = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + yamlio.dump(
        {"items": [named], "functionConfig": yamlio.load(CONFIG.read_text())}
    )
    code, out, err = krm_fn(stdin=stdin)
    assert code == 1 and "app.yaml (ResourceList items[0])" in err, err


def test_run_prints_the_stream_and_diff_prints_changes(tmp_path: Path) -> None:
    code, out, err = krm_fn("run", str(CONFIG), str(DEPLOYMENT), str(EXAMPLE / "service.yaml"))
    assert code == 0
    kinds = [d["kind"] for d in yamlio.load_all(out)]
    assert kinds == ["Deployment", "Service"]
    assert "added native sidecar" in err

    code, out, _ = krm_fn("run", "--diff", "-q", str(CONFIG), "-", stdin=DEPLOYMENT.read_text())
    assert code == 1  # differences, like kubectl diff
    assert out.startswith("--- a/Deployment/shop\n+++ b/Deployment/shop\n")
    assert "+      - name: access-log" in out

    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "d.yaml").write_text(DEPLOYMENT.read_text())
    (tmp_path / "notes.txt").write_text("not yaml: [")
    code, out, _ = krm_fn("run", "-q", str(CONFIG), str(tmp_path))
    assert code == 0 and len(yamlio.load_all(out)) == 1


def test_run_and_check_output_what_a_config_generates() -> None:
    """An ambassador's nginx ConfigMap is a resource the run adds: printed, and counted."""
    example = EXAMPLES / "elasticsearch-ambassador-tls"
    inputs = [str(example / "ambassador.yaml"), str(example / "deployment.yaml")]
    code, out, err = krm_fn("run", "-q", *inputs)
    assert code == 0, err
    assert [d["kind"] for d in yamlio.load_all(out)] == ["Deployment", "ConfigMap"]
    code, out, _ = krm_fn("check", *inputs)
    assert code == 1 and "added: ConfigMap/elasticsearch-nginx" in out


def test_run_with_a_bad_config_prints_errors_and_no_stream(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: krm-fn.dev/v1alpha1\nkind: Sidecar\nspec: {containers: [{name: x}]}\n"
    )
    code, out, err = krm_fn("run", str(bad), str(DEPLOYMENT))
    assert (code, out) == (1, "")
    assert (
        "error: " in err
        and "spec.containers[0]" not in out
        and 'container "x" needs an `image`' in err
    )
    code, out, err = krm_fn("run", str(tmp_path / "missing.yaml"))
    assert code == 1 and "cannot read" in err


def test_install_plugins_writes_an_executable_per_kind(tmp_path: Path) -> None:
    code, out, _ = krm_fn("install-plugins", str(tmp_path))
    assert code == 0
    plugin = tmp_path / "krm-fn.dev" / "v1alpha1" / "sidecar" / "Sidecar"
    assert str(plugin) in out.splitlines()
    for kind in ("Sidecar", "InitContainer", "PodDefaults", "PodPatterns"):
        path = tmp_path / "krm-fn.dev" / "v1alpha1" / kind.lower() / kind
        assert path.stat().st_mode & stat.S_IXUSR

    # called the way kustomize calls it: <Kind> <config-file>, a plain YAML stream on stdin
    stream = DEPLOYMENT.read_text().replace(
        "  name: shop\n", "  name: shop\n  annotations:\n    kustomize.config.k8s.io/id: 'x'\n", 1
    )
    done = run([str(plugin), str(CONFIG)], input=stream)
    assert done.returncode == 0, done.stderr
    [deployment] = yamlio.load_all(done.stdout)
    assert deployment["metadata"]["annotations"] == {"kustomize.config.k8s.io/id": "x"}
    assert deployment["spec"]["template"]["spec"]["initContainers"][0]["name"] == "access-log"
    assert done.stderr == ""  # info results stay quiet in plugin mode


def test_plugin_mode_errors_go_to_stderr_with_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "apiVersion: krm-fn.dev/v1alpha1\nkind: Sidecar\nspec: {containers: [], nativ: true}\n"
    )
    code, out, err = krm_fn("plugin", str(config), stdin=DEPLOYMENT.read_text())
    assert (code, out) == (1, "")
    assert "spec.containers" in err and "spec.nativ" in err and "Traceback" not in err


def test_unknown_command() -> None:
    code, _, err = krm_fn("frobnicate")
    assert code == 2 and "invalid choice: 'frobnicate'" in err


def test_fail_on_warnings_is_per_config_and_for_the_whole_run(tmp_path: Path) -> None:
    typo = write_documents(tmp_path / "typo.yaml", [shipper(targets=[{"name": "nothing"}])])
    labels = write_documents(tmp_path / "labels.yaml", [team_labels()])
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
    strict = write_documents(tmp_path / "strict.yaml", [{**team_labels(), "spec": spec}])
    code, _, err = krm_fn("run", "-c", str(typo), "-c", str(labels), str(DEPLOYMENT))
    assert code == 0, err
    code, _, err = krm_fn("run", "-c", str(typo), "-c", str(strict), str(DEPLOYMENT))
    assert code == 1
    assert 'warning: Sidecar "log-shipper" matched no workload' in err
    assert 'error: PodDefaults "defaults" matched no workload' in err


def test_several_configs_apply_in_order_given_either_way(tmp_path: Path) -> None:
    first = write_documents(tmp_path / "graceful.yaml", [graceful_shutdown()])
    second = write_documents(tmp_path / "defaults.yaml", [team_labels()])
    both = write_documents(tmp_path / "both.yaml", [graceful_shutdown(), team_labels()])
    outputs = []
    for args in (
        [str(first), str(second), str(DEPLOYMENT)],
        ["-c", str(first), "--config", str(second), str(DEPLOYMENT)],
        [str(both), str(DEPLOYMENT)],
    ):
        code, out, err = krm_fn("run", *args)
        assert code == 0, err
        template = pod_template(out)
        assert template["metadata"]["labels"]["team"] == "shop"
        assert template["spec"]["terminationGracePeriodSeconds"] == 35
        outputs.append(out)
    assert outputs[0] == outputs[1] == outputs[2]
    code, _, err = krm_fn("run")
    assert code == 2 and "a config is required" in err


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
    config = write_documents(
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


def test_effective_requests_only_where_they_change(tmp_path: Path) -> None:
    code, _, err = krm_fn(
        "run", str(write_documents(tmp_path / "g.yaml", [graceful_shutdown()])), str(DEPLOYMENT)
    )
    assert code == 0 and "effective pod requests" not in err and "preStop" in err
    code, _, err = krm_fn("run", str(CONFIG), str(DEPLOYMENT))
    assert code == 0 and "effective pod requests: cpu=" in err


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


@pytest.mark.parametrize("mode", ["run", "plugin"])
def test_empty_input_is_an_error(mode: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yamlio.dump(shipper()))
    done = run([krm_fn_command(), mode, str(config)], input="")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no resources" in done.stderr
