"""The commands for people, as a platform engineer who knows kustomize and kpt would use them."""

import difflib
import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, corpus_file, krm_fn, krm_fn_command, run, tool

from krm_fn.kinds import KINDS
from krm_fn.manifests import yamlio

EXAMPLE = EXAMPLES / "sidecar-log-shipper"
CONFIG = EXAMPLE / "log-shipper.yaml"
DEPLOYMENT = EXAMPLE / "deployment.yaml"


def all_commands() -> list[str]:
    """Every command the parser knows, those cli.py dispatches before it too."""
    from krm_fn.commands.parser import build

    return list(build().commands)


COMMANDS = all_commands()


# 1. directories as kpt reads them; --diff and check can gate CI ---------------------------------
def test_a_directory_is_read_as_kpt_reads_a_package(tmp_path: Path) -> None:
    package = Path(shutil.copytree(EXAMPLE, tmp_path / "pkg"))
    code, out, err = krm_fn("run", "-q", str(CONFIG), str(package))
    assert code == 0, err
    kinds = [(d["kind"], d["metadata"]["name"]) for d in yamlio.load_all(out)]
    # no Kptfile, no kustomization.yaml, not expected.yaml (.krmignore), the config passes through
    assert kinds == [("Deployment", "shop"), ("Sidecar", "log-shipper"), ("Service", "shop")]
    code, out, _ = krm_fn("run", "--diff", "-q", str(CONFIG), str(package))
    assert code == 1 and "+      - name: access-log" in out


def test_two_resources_with_one_identity_are_refused_naming_both_files(tmp_path: Path) -> None:
    shutil.copy(DEPLOYMENT, tmp_path / "deployment.yaml")
    shutil.copy(EXAMPLE / "expected.yaml", tmp_path / "expected.yaml")  # already processed
    code, out, err = krm_fn("run", "--diff", str(CONFIG), str(tmp_path))
    assert (code, out) == (1, "")
    assert "Deployment/shop is in" in err and "deployment.yaml" in err and "expected.yaml" in err


def test_check_lists_what_would_change_and_passes_on_processed_manifests(tmp_path: Path) -> None:
    code, out, err = krm_fn("check", str(CONFIG), str(DEPLOYMENT), str(EXAMPLE / "service.yaml"))
    assert code == 1 and out == f"changed: Deployment/shop ({DEPLOYMENT})\n"
    assert "1 resource(s) would change" in err
    built = tmp_path / "built.yaml"
    built.write_text(krm_fn("run", "-q", str(CONFIG), str(DEPLOYMENT))[1])
    assert krm_fn("check", str(CONFIG), str(built))[:2] == (0, "")
    assert krm_fn("run", "--diff", str(CONFIG), str(built))[:2] == (0, "")


# 2. every command has --help; usage errors exit 2 ------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, tmp_path: Path) -> None:
    code, out, err = krm_fn(command, "--help", cwd=tmp_path)
    assert code == 0, err
    assert f"krm-fn {command}" in out and "usage:" in out.lower()
    assert command in krm_fn("--help")[1]  # and the top-level help names it
    assert list(tmp_path.iterdir()) == []  # install-plugins --help writes nothing


def test_install_plugins_refuses_options_and_reports_what_it_cannot_write(tmp_path: Path) -> None:
    code, _, err = krm_fn("install-plugins", "--", "-x", cwd=tmp_path)
    assert code == 2 and "looks like an option" in err and list(tmp_path.iterdir()) == []
    blocked = tmp_path / "file"
    blocked.write_text("")
    code, _, err = krm_fn("install-plugins", str(blocked / "plugins"))
    assert code == 1 and err.count("\n") == 1 and "cannot write" in err
    code, out, _ = krm_fn("install-plugins", str(tmp_path / "home"))
    assert code == 0 and [p.name for p in (tmp_path).iterdir()] == ["file", "home"]
    assert len(out.splitlines()) == len(KINDS)  # one exec plugin per kind


def test_helm_plugin_refuses_options_and_reports_what_it_cannot_write(tmp_path: Path) -> None:
    code, _, err = krm_fn("helm-plugin", "--", "-x", cwd=tmp_path)
    assert code == 2 and "looks like an option" in err and list(tmp_path.iterdir()) == []
    blocked = tmp_path / "file"
    blocked.write_text("")
    code, _, err = krm_fn("helm-plugin", str(blocked / "plugin"))
    assert code == 1 and err.count("\n") == 1 and "cannot write" in err


def test_usage_errors_exit_2() -> None:
    assert krm_fn("run")[0] == 2
    assert krm_fn("frobnicate")[0] == 2
    assert krm_fn("explain", "Sidecar.nope")[0] == 2
    assert krm_fn("run", "--in-place", "-o", "x", str(CONFIG))[0] == 2


# 3. a run that changes nothing says so -----------------------------------------------------------
def test_a_second_run_says_unchanged_and_does_not_repeat_itself(tmp_path: Path) -> None:
    config = yamlio.load(CONFIG.read_text())
    config["spec"]["containers"][0]["image"] = "busybox"  # no tag: a warning the first time
    (tmp_path / "config.yaml").write_text(yamlio.dump(config))
    code, out, err = krm_fn("run", str(tmp_path / "config.yaml"), str(DEPLOYMENT))
    assert code == 0 and "added native sidecar" in err and "has no tag" in err
    (tmp_path / "built.yaml").write_text(out)
    code, again, err = krm_fn("run", str(tmp_path / "config.yaml"), str(tmp_path / "built.yaml"))
    assert code == 0 and again == out
    assert "added" not in err and "has no tag" not in err
    assert "Deployment/shop: unchanged: everything the configs inject is in place" in err


def test_matching_no_workload_says_what_there_is_and_strict_makes_it_an_error(
    tmp_path: Path,
) -> None:
    config = yamlio.load(CONFIG.read_text())
    config["spec"]["targets"] = [{"name": "shopp"}]
    (tmp_path / "config.yaml").write_text(yamlio.dump(config))
    code, _, err = krm_fn("run", "-q", str(tmp_path / "config.yaml"), str(DEPLOYMENT))
    assert code == 0
    assert "matched no workload; the input has Deployment/shop (app.kubernetes.io/name=shop)" in err
    code, out, err = krm_fn("run", "-q", "--strict", str(tmp_path / "config.yaml"), str(DEPLOYMENT))
    assert (code, out) == (1, "") and "error: Sidecar" in err
    config["spec"]["failOnEmptyMatch"] = True
    (tmp_path / "config.yaml").write_text(yamlio.dump(config))
    assert krm_fn("run", "-q", str(tmp_path / "config.yaml"), str(DEPLOYMENT))[0] == 1


# 4. what did not change keeps its style: quotes, flow collections, comments ----------------------
STYLED = """\
# Copyright header
# the shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop  # the inline comment
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: shop
        image: "nginx:1.27"
        args: ['--a', "--b"]
        env:
        - {name: X, value: "1"}
        - name: SCRIPT
          value: |
            echo one
"""
LABEL_CONFIG = """\
apiVersion: krm-fn.dev/v1alpha1
kind: PodDefaults
metadata: {name: org}
spec:
  labels: {team: shop}
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines only in `before`, and the lines only in `after`."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d[:2] == "- "], [d[2:] for d in diff if d[:2] == "+ "]


def test_kpt_keeps_the_style_of_every_line_krm_fn_did_not_change(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "app.yaml").write_text(STYLED.replace("---\n", ""))
    (tmp_path / "config.yaml").write_text(LABEL_CONFIG)
    command = [tool("kpt"), "fn", "eval", str(package), "--exec", krm_fn_command()]
    done = run([*command, "--fn-config", str(tmp_path / "config.yaml")])
    assert done.returncode == 0, done.stderr
    after = (package / "app.yaml").read_text()
    removed, added = changed_lines(STYLED.replace("---\n", ""), after)
    # kpt puts back comments itself (one space before an inline one); the rest is krm-fn's doing
    assert removed == ["  name: shop  # the inline comment", "      labels: {app: shop}"]
    assert added[0] == "  name: shop # the inline comment"
    assert added[1:4] == ["      labels:", "        app: shop", "        team: shop"]
    assert all(line.startswith("      annotations:") or "krm-fn.dev" in line for line in added[4:])


def test_in_place_keeps_comments_quotes_and_flow_style_of_what_did_not_change(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.yaml").write_text(LABEL_CONFIG)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.yaml").write_text(STYLED)
    plain = krm_fn("run", "-q", str(tmp_path / "config.yaml"), str(tmp_path / "pkg"))[1]
    code, _, err = krm_fn(
        "run", "-q", "--in-place", str(tmp_path / "config.yaml"), str(tmp_path / "pkg")
    )
    assert code == 0, err
    after = (tmp_path / "pkg" / "app.yaml").read_text()
    removed, added = changed_lines(STYLED, after)
    # only the changed mapping is written anew, in its flow style; the comments stay where they were
    assert removed == ["      labels: {app: shop}"]
    assert added[:1] == ["      labels: {app: shop, team: shop}"]
    assert after.startswith("# Copyright header\n# the shop\n---\n")
    assert yamlio.load_all(after) == yamlio.load_all(plain)  # the same values, only written alike


# 5. files written back; uninject gives the manifests back ----------------------------------------
def test_in_place_writes_only_what_changed_and_keeps_the_rest_byte_for_byte(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    header = "# Copyright the authors. Licensed under the Apache License, Version 2.0.\n"
    (package / "app.yaml").write_text(header + "---\n" + DEPLOYMENT.read_text())
    service = "# the Service, written by hand\napiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n  ports: [{port: 80}]\n"  # noqa: E501
    (package / "service.yaml").write_text(service)
    stamp = (package / "service.yaml").stat().st_mtime_ns
    code, out, err = krm_fn("run", "-q", "--in-place", str(CONFIG), str(package))
    assert (code, out) == (0, ""), err
    assert (package / "service.yaml").read_text() == service  # untouched: flow lists, comment
    assert (package / "service.yaml").stat().st_mtime_ns == stamp
    written = (package / "app.yaml").read_text()
    assert written.startswith(header + "---\n") and "access-log" in written
    code, _, err = krm_fn("run", "-q", "-o", str(tmp_path / "out"), str(CONFIG), str(package))
    assert code == 0, err
    assert (tmp_path / "out" / "app.yaml").read_text() == written  # idempotent, as kpt's sink


def corpus_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "corpus"
    copy.mkdir()
    for name in ("microservices-demo.yaml", "argocd-repo-server-deployment.yaml"):
        shutil.copy(corpus_file(name), copy / name)
    return copy


def test_inject_then_uninject_gives_back_the_corpus(tmp_path: Path) -> None:
    from test_corpus import BUNDLE

    corpus = corpus_copy(tmp_path)
    originals = {p.name: yamlio.load_all(p.read_text()) for p in corpus.iterdir()}
    (tmp_path / "bundle.yaml").write_text(yamlio.dump(BUNDLE))
    assert krm_fn("run", "-q", "--in-place", str(tmp_path / "bundle.yaml"), str(corpus))[0] == 0
    assert all(yamlio.load_all(p.read_text()) != originals[p.name] for p in corpus.iterdir())
    code, _, err = krm_fn("uninject", "-q", "--in-place", str(corpus))
    assert code == 0, err
    for path in corpus.iterdir():
        assert yamlio.load_all(path.read_text()) == originals[path.name], path.name


def test_uninject_one_config_leaves_the_others(tmp_path: Path) -> None:
    defaults = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "org"},
        "spec": {"labels": {"team": "shop"}},
    }
    (tmp_path / "defaults.yaml").write_text(yamlio.dump(defaults))
    first = krm_fn("run", "-q", str(CONFIG), str(DEPLOYMENT))[1]
    (tmp_path / "one.yaml").write_text(first)
    both = krm_fn("run", "-q", str(tmp_path / "defaults.yaml"), str(tmp_path / "one.yaml"))[1]
    (tmp_path / "both.yaml").write_text(both)
    code, out, err = krm_fn("uninject", "--config", str(CONFIG), str(tmp_path / "both.yaml"))
    assert code == 0, err
    [deployment] = yamlio.load_all(out)
    template = deployment["spec"]["template"]
    assert (
        "initContainers" not in template["spec"]
        and template["metadata"]["labels"]["team"] == "shop"
    )


# 6. init, explain, validate; errors that point at the config -------------------------------------
def test_init_gives_a_skeleton_that_validates_once_filled_in(tmp_path: Path) -> None:
    code, out, _ = krm_fn("init", "sidecar")
    assert code == 0 and out.startswith("# Sidecar: krm-fn explain Sidecar")
    skeleton = yamlio.load(out)
    assert skeleton["kind"] == "Sidecar" and skeleton["spec"] == {"containers": []}
    skeleton["spec"]["containers"] = [{"name": "agent", "image": "busybox:1.36.1"}]
    (tmp_path / "c.yaml").write_text(yamlio.dump(skeleton))
    code, out, _ = krm_fn("validate", str(tmp_path / "c.yaml"))
    assert code == 0 and "valid (Sidecar/sidecar)" in out


def test_explain_renders_for_a_terminal_and_takes_field_paths() -> None:
    code, out, _ = krm_fn("explain", "AMBASSADOR.Inbound.TLS")
    assert code == 0 and out.startswith("Ambassador.inbound.tls (krm-fn.dev/v1alpha1)")
    assert "  secretName <string>  required" in out and "`" not in out
    assert not [line for line in out.splitlines() if line.startswith("|")]  # no Markdown table
    code, out, _ = krm_fn("explain", "sidecar")
    assert "EXAMPLE (kustomization-examples/sidecar-log-shipper)" in out
    assert "](" not in out and "| field |" not in out


def test_config_errors_point_at_the_config_and_yaml_errors_name_the_file(tmp_path: Path) -> None:
    config = yamlio.load(CONFIG.read_text())
    config["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "lots"}}
    (tmp_path / "c.yaml").write_text(yamlio.dump(config))
    code, _, err = krm_fn("run", str(tmp_path / "c.yaml"), str(DEPLOYMENT))
    assert code == 1
    assert (
        'Sidecar/log-shipper spec.containers[0]: container "access-log": resources.requests.cpu'
        in err
    )
    assert "Deployment" not in err
    (tmp_path / "broken.yaml").write_text("a: [\n")
    code, _, err = krm_fn("validate", str(tmp_path / "broken.yaml"))
    assert (
        code == 1
        and f"in {tmp_path / 'broken.yaml'}, line 2" in err
        and "<unicode string>" not in err
    )


def test_schema_titles_read_as_words() -> None:
    import json

    schema = json.loads(krm_fn("schema", "Sidecar")[1])
    assert schema["properties"]["spec"]["properties"]["appContainers"]["title"] == "App containers"
