"""The shell the injected init containers run, executed for real on this machine.

Each test builds a pod through the KRM core, takes the init container krm-fn injected, maps its
volume mounts to temp directories (one per volume, shared by every container that mounts it, as
in a pod), and runs its command with `sh`, the image's tools standing in as busybox applets or
local stand-ins: a local git repository, a local HTTP server, fake `vault`, `aws`, `gcloud` and
`sysctl` commands. Then it checks that the files are in the volume the app container mounts.
"""

import hashlib
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
from pods import SA_TOKEN, Pod, fake, git, git_repository, http_server, pod_with, provide

FAKE_VAULT = """\
case "$1" in
  write)
    [ "$VAULT_ADDR" = https://vault:8200 ] || { echo "bad address" >&2; exit 2; }
    login="-field=token auth/kubernetes/login role=payments"
    [ "$2 $3 $4" = "$login" ] || { echo "bad login $*" >&2; exit 2; }
    [ "$(cat "${5#jwt=@}")" = sa-jwt ] || { echo "bad jwt" >&2; exit 2; }
    echo s.issued-token ;;
  read)
    case "$VAULT_TOKEN" in
      s.issued-token|s.static-token) ;;
      *) echo "permission denied" >&2; exit 2 ;;
    esac
    case "$2 $3" in
      "-field=password secret/payments/db") echo "hunter2" ;;
      "-format=json secret/payments/api-keys") echo '{"data": {"stripe": "sk_live_1"}}' ;;
      *) echo "no value found at $3" >&2; exit 2 ;;
    esac ;;
  *) exit 2 ;;
esac
"""

VAULT_SPEC: dict[str, Any] = {
    "address": "https://vault:8200",
    "auth": {"kubernetes": {"role": "payments"}},
    "secrets": [
        {"path": "secret/payments/db", "field": "password", "file": "db-password"},
        {"path": "secret/payments/api-keys", "file": "api-keys.json"},
    ],
}


def test_vault_secrets_land_in_memory_where_the_app_reads_them(
    tmp_path: Path, bin_dir: Path
) -> None:
    fake(bin_dir, "vault", FAKE_VAULT)
    token = tmp_path / "sa-token"
    token.write_text("sa-jwt")
    spec = pod_with("VaultSecrets", VAULT_SPEC)
    pod = Pod(spec, tmp_path, bin_dir)
    done = pod.run("vault-secrets", extra={SA_TOKEN: str(token)})
    assert done.returncode == 0, done.stderr
    secrets = pod.app_dir("app", "/secrets")
    assert (secrets / "db-password").read_text() == "hunter2\n"
    assert '"stripe": "sk_live_1"' in (secrets / "api-keys.json").read_text()
    assert sorted(p.name for p in secrets.iterdir()) == ["api-keys.json", "db-password"]
    assert stat.S_IMODE((secrets / "db-password").stat().st_mode) == 0o600
    [volume] = [v for v in spec["volumes"] if v["name"] == "secrets"]
    assert volume["emptyDir"] == {"medium": "Memory"}
    assert pod.container("app")["volumeMounts"] == [
        {"name": "secrets", "mountPath": "/secrets", "readOnly": True}
    ]
    assert "env" not in pod.container("app")


def test_vault_token_auth_and_a_failed_read(tmp_path: Path, bin_dir: Path) -> None:
    fake(bin_dir, "vault", FAKE_VAULT)
    spec = {**VAULT_SPEC, "auth": {"token": {"secretName": "vault-token"}}}
    spec["secrets"] = [*VAULT_SPEC["secrets"], {"path": "secret/missing", "file": "missing"}]
    pod = Pod(pod_with("VaultSecrets", spec), tmp_path, bin_dir)
    (pod.volume("secrets-vault-token") / "token").write_text("s.static-token")
    done = pod.run("vault-secrets")
    assert done.returncode != 0 and "no value found at secret/missing" in done.stderr
    secrets = pod.app_dir("app", "/secrets")
    assert not (secrets / "missing").exists()  # never a half-written file under the final name
    assert (secrets / "db-password").read_text() == "hunter2\n"


def test_git_clone_fills_the_volume_and_can_run_again(tmp_path: Path, bin_dir: Path) -> None:
    repo = git_repository(tmp_path / "repo", "<h1>v1</h1>")
    spec = pod_with(
        "GitClone", {"repository": f"file://{repo}", "ref": "main", "mountPath": "/var/www/html"}
    )
    provide(bin_dir, "git")  # alpine/git: busybox and git
    pod = Pod(spec, tmp_path, bin_dir)
    done = pod.run("git-clone")
    assert done.returncode == 0, done.stderr
    html = pod.app_dir("app", "/var/www/html")
    assert (html / "index.html").read_text() == "<h1>v1</h1>"

    (repo / "index.html").write_text("<h1>v2</h1>")
    git("commit", "-qam", "v2", cwd=repo)
    again = pod.run("git-clone")  # a pod restart runs init containers again, on the same volume
    assert again.returncode == 0, again.stderr
    assert (html / "index.html").read_text() == "<h1>v2</h1>"


def test_download_over_http_is_verified_and_not_fetched_twice(
    tmp_path: Path, bin_dir: Path
) -> None:
    model = os.urandom(4096)
    digest = hashlib.sha256(model).hexdigest()
    with http_server({"/models/m.onnx": model}, header="Bearer t0k") as (port, seen):
        spec = {
            "url": f"http://127.0.0.1:{port}/models/m.onnx",
            "sha256": digest,
            "mountPath": "/models",
            "credentialsSecretName": "model-token",
        }
        pod = Pod(pod_with("Download", spec), tmp_path, bin_dir)
        provide(bin_dir, "curl")  # curlimages/curl: busybox and curl
        (pod.volume("download-credentials") / "header").write_text("Authorization: Bearer t0k")
        done = pod.run("download")
        assert done.returncode == 0, done.stderr
        assert (pod.app_dir("app", "/models") / "m.onnx").read_bytes() == model
        assert pod.run("download").returncode == 0
        assert seen == ["/models/m.onnx"]


def test_download_with_a_wrong_checksum_never_reaches_the_app(
    tmp_path: Path, bin_dir: Path
) -> None:
    with http_server({"/m.bin": b"tampered"}) as (port, _):
        spec = {"url": f"http://127.0.0.1:{port}/m.bin", "sha256": "0" * 64, "mountPath": "/models"}
        pod = Pod(pod_with("Download", spec), tmp_path, bin_dir)
        provide(bin_dir, "curl")
        done = pod.run("download")
    assert done.returncode != 0
    assert not (pod.app_dir("app", "/models") / "m.bin").exists()


@pytest.mark.parametrize(
    ("url", "tool", "expected"),
    [
        ("s3://ml/m.bin", "aws", "s3 cp --only-show-errors --region eu-west-1 s3://ml/m.bin"),
        ("gs://ml/m.bin", "gcloud", "storage cp gs://ml/m.bin"),
    ],
)
def test_download_from_buckets(
    tmp_path: Path, bin_dir: Path, url: str, tool: str, expected: str
) -> None:
    log = tmp_path / "calls"
    # the stand-in CLI: record the call, write the object to the last argument
    fake(bin_dir, tool, f'echo "$@" >> {log}\nfor last; do :; done\nprintf object > "$last"\n')
    spec = {"url": url, "mountPath": "/data", "s3": {"region": "eu-west-1"}}
    pod = Pod(pod_with("Download", spec), tmp_path, bin_dir)
    done = pod.run("download")
    assert done.returncode == 0, done.stderr
    assert (pod.app_dir("app", "/data") / "m.bin").read_text() == "object"
    assert log.read_text().startswith(expected)


def test_wait_for_tcp_and_http_then_gives_up_naming_what_is_missing(
    tmp_path: Path, bin_dir: Path
) -> None:
    with http_server({"/healthz": b"ok"}) as (port, _):
        spec = {
            "tcp": [f"127.0.0.1:{port}"],
            "http": [f"http://127.0.0.1:{port}/healthz"],
            "timeoutSeconds": 5,
        }
        pod = Pod(pod_with("WaitFor", spec), tmp_path, bin_dir)
        done = pod.run("wait-for")
        assert done.returncode == 0, done.stderr
        assert f"127.0.0.1:{port} is up" in done.stdout
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    spec = {"tcp": [f"127.0.0.1:{closed}"], "timeoutSeconds": 2, "intervalSeconds": 1}
    done = Pod(pod_with("WaitFor", spec), tmp_path, bin_dir).run("wait-for")
    assert done.returncode == 1
    assert f"gave up after 2s waiting for 127.0.0.1:{closed}" in done.stderr


def test_sysctl_command(tmp_path: Path, bin_dir: Path) -> None:
    log = tmp_path / "sysctl"
    fake(bin_dir, "sysctl", f'echo "$@" >> {log}\n')
    spec = {
        "allowPrivileged": True,
        "sysctls": {"vm.max_map_count": "262144", "kernel.pid_max": "4194304"},
    }
    done = Pod(pod_with("Sysctl", spec), tmp_path, bin_dir).run("sysctl")
    assert done.returncode == 0, done.stderr
    assert log.read_text() == "-w vm.max_map_count=262144\n-w kernel.pid_max=4194304\n"


def test_migration_runs_with_the_apps_env(tmp_path: Path, bin_dir: Path) -> None:
    app = {
        "name": "api",
        "image": "registry.example.com/api:5.2.0",
        "env": [{"name": "DATABASE_URL", "value": "postgres://db/orders"}],
        "volumeMounts": [{"name": "work", "mountPath": "/work"}],
    }
    command = ["sh", "-c", 'echo "migrated $DATABASE_URL" > /work/marker']
    spec = pod_with("Migration", {"command": command, "copyVolumeMounts": True}, app)
    pod = Pod(spec, tmp_path, bin_dir)
    assert pod.container("migrate")["image"] == "registry.example.com/api:5.2.0"
    done = pod.run("migrate")
    assert done.returncode == 0, done.stderr
    assert (pod.app_dir("api", "/work") / "marker").read_text() == "migrated postgres://db/orders\n"


def test_wait_for_dns_gives_up_on_a_name_that_does_not_resolve(
    tmp_path: Path, bin_dir: Path
) -> None:
    spec = {"dns": ["no-such-service.invalid"], "timeoutSeconds": 2, "intervalSeconds": 1}
    done = Pod(pod_with("WaitFor", spec), tmp_path, bin_dir).run("wait-for")
    assert done.returncode == 1
    assert "gave up after 2s waiting for no-such-service.invalid" in done.stderr
