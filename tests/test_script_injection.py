"""Config values never run as code or become options in the scripts init containers run.

Values a tool would read as an option are refused with an error naming the field (where the tool
has no `--` to end options, or the value cannot be anything but a name). Values the shell would
read as code are quoted: each script is run with busybox sh and only the image's tools (real git
for GitClone, real curl for Download), and a marker file shows whether anything ran.
"""

from pathlib import Path
from typing import Any

import pytest
from pods import Pod, fake, git, git_repository, http_server, pod_with, provide

from krm_fn.framework import transform

HOSTILE_CONFIG = [
    ("GitClone", {"ref": "--upload-pack=touch /tmp/pwned"}, "spec.ref"),
    ("GitClone", {"repository": "ext::sh -c touch% /tmp/pwned"}, "spec.repository"),
    ("GitClone", {"repository": "-uhttps://example.com/x.git"}, "spec.repository"),
    ("GitClone", {"syncPeriod": "60s --exechook-command=/bin/sh"}, "spec.syncPeriod"),
    ("WaitFor", {"tcp": ["-le/bin/touch:4444"]}, "spec.tcp"),
    ("WaitFor", {"dns": ["-debug"]}, "spec.dns[0]"),
    ("WaitFor", {"http": ["http://x/ -O /etc/passwd"]}, "spec.http[0]"),
    (
        "VaultSecrets",
        {"secrets": [{"path": "-address=https://attacker.example:8200", "file": "s"}]},
        "spec.secrets[0].path",
    ),
    (
        "VaultSecrets",
        {"secrets": [{"path": "secret/a", "field": "-format=table", "file": "s"}]},
        "spec.secrets[0].field",
    ),
    (
        "VaultSecrets",
        {"auth": {"kubernetes": {"role": "r", "mount": "-x"}}},
        "spec.auth.kubernetes.mount",
    ),
    ("ConfigReloader", {"signal": {"process": "-e"}}, "spec.signal.process"),
    ("Download", {"url": "https://example.com/a';touch x;'.bin"}, "spec"),
    ("Download", {"s3": {"region": "--debug"}}, "spec.s3.region"),
    ("LogTailer", {"files": ["../../etc/shadow"]}, "spec.files[0]"),
    ("LocalCache", {"evictionPolicy": "--save"}, "spec.evictionPolicy"),
]
VALID: dict[str, dict[str, Any]] = {
    "GitClone": {"repository": "https://example.com/site.git", "mountPath": "/site"},
    "WaitFor": {"tcp": ["db:5432"]},
    "VaultSecrets": {
        "address": "https://vault:8200",
        "auth": {"kubernetes": {"role": "r"}},
        "secrets": [{"path": "secret/a", "file": "a"}],
    },
    "ConfigReloader": {"watch": ["config"], "signal": {"process": "nginx"}},
    "Download": {"url": "https://example.com/m.bin", "mountPath": "/m"},
    "LogTailer": {"logDir": "/var/log/app", "files": ["app.log"]},
    "LocalCache": {},
}


@pytest.mark.parametrize(("kind", "hostile", "field"), HOSTILE_CONFIG)
def test_values_a_tool_would_read_as_options_are_refused(
    kind: str, hostile: dict[str, Any], field: str
) -> None:
    spec = {**VALID[kind], **hostile}
    if "auth" in hostile:
        spec["auth"] = hostile["auth"]
    config = {"apiVersion": "krm-fn.dev/v1alpha1", "kind": kind, "spec": spec}
    results = transform(config, [])
    errors = [r for r in results if r.severity == "error"]
    assert errors and all(r.field and r.field.startswith(field) for r in errors), [
        r.to_text() for r in results
    ]


def test_git_clone_quotes_a_branch_name_that_is_shell_code(tmp_path: Path, bin_dir: Path) -> None:
    marker = tmp_path / "ran"
    branch = f"x$(touch${{IFS}}{marker})';touch${{IFS}}{marker};'"  # a legal git branch name
    repo = git_repository(tmp_path / "repo", "v1")
    git("branch", branch, cwd=repo)
    spec = {"repository": f"file://{repo}", "ref": branch, "mountPath": "/html"}
    pod = Pod(pod_with("GitClone", spec), tmp_path, bin_dir)
    provide(bin_dir, "git")
    for _ in range(2):  # the clone, then the fetch of a restarted init container
        done = pod.run("git-clone")
        assert done.returncode == 0, done.stderr
        assert (pod.app_dir("app", "/html") / "index.html").read_text() == "v1"
        assert not marker.exists()


def test_download_quotes_a_url_that_is_shell_code(tmp_path: Path, bin_dir: Path) -> None:
    marker = tmp_path / "ran"
    query = f"?a=$(touch%20{marker})&b='%3Btouch%20{marker}%3B'&c={{x,y}}[1-2]"
    with http_server({f"/m.bin{query}": b"model"}) as (port, seen):
        spec = {"url": f"http://127.0.0.1:{port}/m.bin{query}", "mountPath": "/m"}
        pod = Pod(pod_with("Download", spec), tmp_path, bin_dir)
        provide(bin_dir, "curl")
        done = pod.run("download")
    assert done.returncode == 0, done.stderr
    assert (pod.app_dir("app", "/m") / "m.bin").read_bytes() == b"model"
    assert seen == [f"/m.bin{query}"]  # one request, the URL exactly as configured
    assert not marker.exists()


def test_wait_for_quotes_a_url_that_is_shell_code(tmp_path: Path, bin_dir: Path) -> None:
    marker = tmp_path / "ran"
    path = f"/healthz?x=';touch${{IFS}}{marker};'$(touch${{IFS}}{marker})"
    with http_server({path: b"ok"}) as (port, seen):
        url = f"http://127.0.0.1:{port}{path}"
        spec = {"http": [url], "timeoutSeconds": 5}
        done = Pod(pod_with("WaitFor", spec), tmp_path, bin_dir).run("wait-for")
    assert not marker.exists()
    assert seen == [path]
    assert f"{url} is up" in done.stdout


def test_vault_secrets_quote_a_field_that_is_shell_code(tmp_path: Path, bin_dir: Path) -> None:
    marker = tmp_path / "ran"
    field = f"pass';touch {marker};'$(touch {marker})"
    fake(bin_dir, "vault", 'case "$1" in write) echo t ;; read) echo "$2" ;; esac\n')
    token = tmp_path / "sa-token"
    token.write_text("jwt")
    spec = {**VALID["VaultSecrets"], "secrets": [{"path": "secret/a", "field": field, "file": "a"}]}
    pod = Pod(pod_with("VaultSecrets", spec), tmp_path, bin_dir)
    done = pod.run(
        "vault-secrets", extra={"/var/run/secrets/kubernetes.io/serviceaccount/token": str(token)}
    )
    assert done.returncode == 0, done.stderr
    assert (pod.app_dir("app", "/secrets") / "a").read_text() == f"-field={field}\n"
    assert not marker.exists()
