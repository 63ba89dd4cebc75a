"""Download: fetch a large file the app needs (a model, a dataset) before it starts.

An init container fetches `url` into a shared `emptyDir` that the app containers mount read-only
at `mountPath`, so the app image stays small and the file is fetched where the pod runs. The
right small image is chosen per source: `https://` and `http://` with curl, `s3://` with the AWS
CLI (`s3.endpoint` for MinIO and other S3-compatible stores), `gs://` with the Google Cloud CLI.

With `sha256` the file is verified before the app can see it: it is downloaded to a `.partial`
file, checked, and only then renamed; a mismatch fails the init container, so the pod never
starts on a corrupt or tampered file. A restarted init container finds a verified file and
skips the download.

Credentials come from a Secret (`credentialsSecretName`): for S3 its keys become env
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`...); for GCS it holds a service account key
`key.json`; for HTTP it holds a `header` line such as `Authorization: Bearer ...`. Without one,
the pod's own identity is used (IRSA, Workload Identity) or none.

Seen running on the test node (tests/test_scenarios.py): a file from an HTTP server pod, verified
and seen by the app; a wrong checksum keeps the pod in Init with the reason in the init container's
log, and the app never starts (S3 and GCS cannot run here: the same checksum check over HTTP).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.patterns import Facts
from krm_fn.patterns.checks import check_file_name
from krm_fn.patterns.init_container import init_container, share_volume

if TYPE_CHECKING:
    from krm_fn.patterns.models.download import Spec

IMAGES = {
    "http": "curlimages/curl:8.10.1",
    "https": "curlimages/curl:8.10.1",
    "s3": "amazon/aws-cli:2.17.59",
    "gs": "gcr.io/google.com/cloudsdktool/google-cloud-cli:496.0.0-slim",
}
TARGET = "/download"
CREDENTIALS = "/credentials"


def check_url(value: str) -> str:
    """A download URL krm-fn can fetch (http, https, s3:// or gs://)."""
    parts = urlsplit(value)
    plain = value.isprintable() and " " not in value
    if parts.scheme not in IMAGES or not parts.netloc or not parts.path.strip("/") or not plain:
        raise ValueError(f'"{value}" is not an https://, http://, s3:// or gs:// URL of a file')
    return value


def check_download_file_name(spec: Spec) -> Spec:
    """The file name the download is saved as is a plain file name."""
    if spec.file is None:
        try:
            check_file_name(file_name(spec))
        except ValueError as err:
            message = f"the URL's last part cannot be the file name ({err}): set `file`"
            raise ValueError(message) from None
    return spec


def check_sha256(value: str | None) -> str | None:
    """A SHA-256 checksum: 64 hex digits."""
    if value is not None and not re.fullmatch("[0-9a-f]{64}", value):
        raise ValueError("sha256 is 64 lowercase hex digits")
    return value


def file_name(spec: Spec) -> str:
    """The file's name in the volume."""
    return spec.file or posixpath.basename(urlsplit(spec.url).path) or "download"


def fetch(spec: Spec, target: str) -> str:
    """The command that writes the URL's content to `target`."""
    q = shlex.quote
    scheme = urlsplit(spec.url).scheme
    if scheme == "s3":
        extra = f" --region {q(spec.s3.region)}" if spec.s3.region else ""
        extra += f" --endpoint-url {q(spec.s3.endpoint)}" if spec.s3.endpoint else ""
        return f"aws s3 cp --only-show-errors{extra} {q(spec.url)} {q(target)}"
    if scheme == "gs":
        return f"gcloud storage cp {q(spec.url)} {q(target)}"
    header = f" -H @{CREDENTIALS}/header" if spec.credentials_secret_name else ""
    return f"curl -fsSL --globoff --retry 3{header} -o {q(target)} {q(spec.url)}"


def script(spec: Spec, directory: str = TARGET) -> str:
    """Download to a .partial file, verify, rename; skip when a verified file is there."""
    q = shlex.quote
    dest = f"{directory}/{file_name(spec)}"
    partial = dest + ".partial"
    lines = ["set -eu"]
    if spec.sha256:
        check = f"echo {q(spec.sha256 + '  ' + dest)} | sha256sum -c - >/dev/null 2>&1"
        lines.append(
            f"if [ -f {q(dest)} ] && {check}; then echo 'verified copy present'; exit 0; fi"
        )
    else:
        lines.append(f"if [ -f {q(dest)} ]; then echo 'already downloaded'; exit 0; fi")
    lines += [f"rm -f {q(partial)}", fetch(spec, partial)]
    if spec.sha256:
        lines.append(f"echo {q(spec.sha256 + '  ' + partial)} | sha256sum -c -")
    lines += [f"mv {q(partial)} {q(dest)}", f"echo {q('downloaded ' + file_name(spec))}", ""]
    return "\n".join(lines)


FACTS = Facts(
    example="download-model-s3",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """The shared volume, the download init container, the app's read-only mount."""
    empty_dir = {"sizeLimit": spec.size_limit} if spec.size_limit else {}
    share_volume(pod, spec, {"name": spec.volume_name, "emptyDir": empty_dir}, spec.mount_path)
    scheme = urlsplit(spec.url).scheme
    scratch = f"{spec.container_name}-tmp"[:63]
    pod.add_volume({"name": scratch, "emptyDir": {}})
    mounts: list[dict[str, Any]] = [
        {"name": spec.volume_name, "mountPath": TARGET},
        {"name": scratch, "mountPath": "/tmp"},
    ]
    container: dict[str, Any] = {
        "name": spec.container_name,
        "image": spec.image or IMAGES[scheme],
        "command": ["sh", "-c", script(spec)],
        "env": [{"name": "HOME", "value": "/tmp"}],
    }
    secret = spec.credentials_secret_name
    if secret and scheme == "s3":
        container["envFrom"] = [{"secretRef": {"name": secret}}]
    elif secret:
        volume = f"{spec.container_name}-credentials"[:63]
        pod.add_volume({"name": volume, "secret": {"secretName": secret}})
        mounts.append({"name": volume, "mountPath": CREDENTIALS, "readOnly": True})
        if scheme == "gs":
            env = {
                "name": "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
                "value": f"{CREDENTIALS}/key.json",
            }
            container["env"].append(env)
    if scheme == "gs":
        container["env"].append({"name": "CLOUDSDK_CONFIG", "value": "/tmp/gcloud"})
    container["volumeMounts"] = mounts
    pod.add_init_containers([init_container(spec, container)], spec.position)
