"""VaultSecrets: fetch secrets before the app starts, into memory, for the app to read.

An init container logs in to Vault (Kubernetes auth with the pod's service account token, or a
token from a Secret), reads each path (`vault read`, one `field` or the whole secret as JSON) and
writes it to a file on an in-memory `emptyDir` (`medium: Memory`), which the app containers mount
read-only at `mountPath`. The secret values never land in env, in the manifests or on the node's
disk, and the app's container never sees Vault or its token: only the init container does.
Files are written with umask 077 (mode 0600: their owner's only) and renamed into place, so a
restarted init container never leaves half a file; the init container runs as the app's user
(`runAsUser` of the app containers or of the pod) so that the app can read them, and a warning
says so when that user is not set. Without `auth`, or with paths but no address, the config is
refused.

Vault paths, fields and the auth mount may not start with `-` (vault would read them as options),
and every value is quoted for the shell.

Other secret stores: set `command` (and `image`): that command runs instead, with the volume
mounted read-write at `mountPath`, and must write the files there.

Seen running on the test node (tests/test_scenarios.py): in the command form, against a secrets
store in a pod (no Vault server is built here): the secret on a tmpfs before the app starts, mode
0600 and owned by the app's user, in no env variable; with the store unreachable the pod stays in
Init and the init container's log says why.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import secure
from krm_fn.patterns import Facts
from krm_fn.patterns.init_container import init_container, share_volume

if TYPE_CHECKING:
    from krm_fn.patterns.models.vault_secrets import Auth, SecretFile, Spec

VAULT_PATH = r"^[A-Za-z0-9_][A-Za-z0-9_.@+=:/-]*$"  # never an option: no leading "-"

SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
TOKEN_DIR = "/vault-token"
CA_DIR = "/vault-ca"


def check_one(spec: Auth) -> Auth:
    """Vault authentication: exactly one method."""
    if (spec.kubernetes is None) == (spec.token is None):
        raise ValueError("set exactly one auth method: `kubernetes` or `token`")
    return spec


def check_distinct_files(value: list[SecretFile]) -> list[SecretFile]:
    """Each secret is written to its own file."""
    files = [s.file for s in value]
    if len(files) != len(set(files)):
        raise ValueError("two secrets would be written to the same file")
    return value


def check_complete(spec: Spec) -> Spec:
    """What VaultSecrets needs to fetch: an address and a source for every secret."""
    if spec.command is not None:
        return spec
    missing = [n for n, v in (("address", spec.address), ("auth", spec.auth)) if v is None]
    if not spec.secrets:
        missing.append("secrets")
    if missing:
        raise ValueError(
            f"reading Vault needs {', '.join(missing)} (or set `command` for another store)"
        )
    return spec


def script(spec: Spec) -> str:
    """The init container's shell script: log in, read each path, write each file."""
    q = shlex.quote
    lines = ["set -eu", "umask 077", f"export VAULT_ADDR={q(spec.address or '')}"]
    if spec.ca_secret_name:
        lines.append(f"export VAULT_CACERT={CA_DIR}/ca.crt")
    if spec.namespace:
        lines.append(f"export VAULT_NAMESPACE={q(spec.namespace)}")
    assert spec.auth is not None
    if spec.auth.kubernetes:
        k8s = spec.auth.kubernetes
        login = f"auth/{k8s.mount}/login"
        lines.append(
            f'VAULT_TOKEN="$(vault write -field=token {q(login)} '
            f'role={q(k8s.role)} jwt=@{q(k8s.token_path)})"'
        )
    else:
        assert spec.auth.token is not None
        lines.append(f'VAULT_TOKEN="$(cat {TOKEN_DIR}/{q(spec.auth.token.key)})"')
    lines.append("export VAULT_TOKEN")
    for secret in spec.secrets:
        target = f"{spec.mount_path.rstrip('/')}/{secret.file}"
        how = f"-field={q(secret.field)}" if secret.field else "-format=json"
        lines.append(f"vault read {how} {q(secret.path)} > {q(target + '.tmp')}")
        lines.append(f"mv {q(target + '.tmp')} {q(target)}")
    return "\n".join(lines) + "\n"


FACTS = Facts(
    example="vault-secrets",
    admission_policy="does not compile: its init container runs as the app's user, read "
    "from the pod",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """The in-memory volume, the fetching init container, the app's read-only mounts."""
    empty_dir: dict[str, Any] = {"medium": "Memory"}
    if spec.size_limit:
        empty_dir["sizeLimit"] = spec.size_limit
    in_memory = {"name": spec.volume_name, "emptyDir": empty_dir}
    apps = share_volume(pod, spec, in_memory, spec.mount_path)
    mounts: list[dict[str, Any]] = [{"name": spec.volume_name, "mountPath": spec.mount_path}]
    container: dict[str, Any] = {"name": spec.container_name, "image": spec.image}
    if spec.command is not None:
        container["command"] = list(spec.command)
    else:
        container["command"] = ["sh", "-c", script(spec)]
        for secret_name, directory, suffix in (
            (
                spec.auth.token.secret_name if spec.auth and spec.auth.token else None,
                TOKEN_DIR,
                "vault-token",
            ),
            (spec.ca_secret_name, CA_DIR, "vault-ca"),
        ):
            if secret_name:
                volume = f"{spec.volume_name}-{suffix}"[:63]
                pod.add_volume({"name": volume, "secret": {"secretName": secret_name}})
                mounts.append({"name": volume, "mountPath": directory, "readOnly": True})
        if (
            spec.auth
            and spec.auth.kubernetes
            and pod.spec.get("automountServiceAccountToken") is False
        ):
            pod.report(
                "warning",
                "Kubernetes auth reads the service account token, but this pod sets "
                "automountServiceAccountToken: false",
                "spec.automountServiceAccountToken",
            )
    container["volumeMounts"] = mounts
    security = _as_the_apps_user(spec, pod, apps)
    pod.add_init_containers([init_container(spec, container, security)], spec.position)


def _as_the_apps_user(
    spec: Spec, pod: PodEditor, apps: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """A security context as the apps' user, who must read files made with umask 077; or None."""
    if "securityContext" in spec.container:
        return None
    users = {pod.user_of(app) for app in apps}
    user = next(iter(users)) if len(users) == 1 else None
    if isinstance(user, int) and user > 0:
        return secure({"runAsUser": user})
    if user is None:
        names = ", ".join(f'"{app.get("name")}"' for app in apps)
        pod.report(
            "warning",
            f"the files are readable by one user only (mode 0600), and the user of {names} is "
            "not set or not the same: set runAsUser on the app, or "
            "container.securityContext.runAsUser to the user that reads them",
            "spec.containers",
        )
    return None
