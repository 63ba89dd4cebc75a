"""Helpers shared by the tests: real tools, normalisation, schema validation."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from krm_fn import reference
from krm_fn.kube.workloads import pod_templates
from krm_fn.manifests import yamlio
from krm_fn.manifests.results import Result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "kustomization-examples"
VENV = Path(sys.prefix)  # the venv under test: make test's .venv, or make test-newest's
CORPUS = ROOT / ".build" / "corpus"  # `make corpus` puts tests/corpus.toml's files there
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
UPDATE = os.environ.get("KRM_FN_UPDATE_GOLDEN", "") == "1"
if UPDATE and IN_CI:  # a golden file rewritten in CI would make every comparison pass
    raise RuntimeError("KRM_FN_UPDATE_GOLDEN=1 is refused when CI is set: golden files are checked")

TOOL_ANNOTATION_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "kustomize.config.k8s.io/",
    "config.k8s.io/",
)


def krm_fn_command() -> str:
    """The installed `krm-fn` script next to this Python (the venv's)."""
    path = Path(sys.executable).parent / "krm-fn"
    assert path.exists(), f"{path} missing: install the package (make test does)"
    return str(path)


def krm_fn(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run the installed `krm-fn` with args and stdin: its exit code, stdout and stderr."""
    done = run([krm_fn_command(), *args], input=stdin, timeout=120, env=env, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def tool(name: str) -> str:
    """A real tool from PATH. Missing tools fail the test: these tests never skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH; the real-tool tests need it (see README: make test)")
    return path


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output."""
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def impostor(directory: Path, marker: Path) -> None:
    """A `krm_fn` package in directory, which `python -m krm_fn` started there would run: it
    writes marker and passes its input through."""
    package = directory / "krm_fn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        f"import pathlib, sys\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        "sys.stdout.write(sys.stdin.read())\n"
    )


def is_tool_resource(resource: dict[str, Any]) -> bool:
    """Kptfiles, function configs and local-config items: not part of what gets deployed."""
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    return str(resource.get("apiVersion", "")).startswith(("kpt.dev/", "krm-fn.dev/")) or (
        annotations.get("config.kubernetes.io/local-config") == "true"
    )


def normalize(resources: list[Any]) -> list[dict[str, Any]]:
    """Deployable resources without tool bookkeeping annotations, in a stable order."""
    out = []
    for resource in resources:
        if is_tool_resource(resource):
            continue
        meta = resource.get("metadata") or {}
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if not k.startswith(TOOL_ANNOTATION_PREFIXES)
        }
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
        out.append(resource)
    return sorted(
        out,
        key=lambda r: (
            r.get("apiVersion"),
            r.get("kind"),
            str(r["metadata"].get("namespace")),
            str(r["metadata"].get("name")),
        ),
    )


def example_cases() -> list[tuple[list[Any], Any]]:
    """(resources, config) of every kustomization example: its resources and its transformer."""
    cases = []
    for directory in sorted(EXAMPLES.iterdir()):
        if (directory / "kustomization.yaml").exists():
            kustomization = yamlio.load((directory / "kustomization.yaml").read_text())
            items = [
                document
                for name in kustomization["resources"]
                for document in yamlio.load_all((directory / name).read_text())
            ]
            config = yamlio.load((directory / kustomization["transformers"][0]).read_text())
            cases.append((items, config))
    return cases


def field_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path (keys and indexes) of every field below node."""
    if prefix:
        yield prefix
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in children:
        yield from field_paths(value, (*prefix, key))


def replace_at(node: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put value at path below node."""
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def read_package(directory: Path) -> list[dict[str, Any]]:
    """Every resource in the YAML files of a directory tree."""
    resources: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.y*ml")):
        resources += yamlio.load_all(path.read_text(), str(path))
    return resources


def schema_errors(
    resources: list[dict[str, Any]], version: str, custom_paths: Any = ()
) -> list[str]:
    """Validate against the Kubernetes API schema (strict). Custom kinds: their pod templates."""
    errors = []
    for resource in resources:
        if resource.get("kind") == "List":
            errors += schema_errors(resource.get("items") or [], version, custom_paths)
            continue
        if is_tool_resource(resource):
            continue
        name = f"{resource.get('kind')}/{(resource.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            # a custom kind: kubernetes-validate only warns; check the pod templates krm-fn changes
            for pod in pod_templates(resource, custom_paths):
                wrapped = {
                    "apiVersion": "v1",
                    "kind": "PodTemplate",
                    "metadata": {"name": "t"},
                    "template": pod.template,
                }
                try:
                    kubernetes_validate.validate(wrapped, version, strict=True)
                except kubernetes_validate.ValidationError as err:
                    errors.append(f"{name} {pod.path}: {err.message} at {list(err.path)}")
        except kubernetes_validate.ValidationError as err:
            errors.append(f"{name}: {err.message} at {list(err.path)}")
    return errors


IMAGE = reference.IMAGE
BUILD = ROOT / ".build"


def corpus_file(name: str) -> Path:
    """A file of the real-world corpus (tests/corpus.toml), as `make corpus` fetched it."""
    path = CORPUS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: `make corpus` fetches it (scripts/corpus.py)")
    return path


def built_tool(name: str) -> str:
    """A test tool built from its Go module by scripts/test-tools.sh (never downloaded)."""
    path = BUILD / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: `make tools` builds it (scripts/test-tools.sh)")
    return str(path)


def kustomize_commands() -> dict[str, list[str]]:
    """kustomize as kubectl embeds it, and the standalone binary built from its module."""
    return {
        "kubectl-kustomize": [tool("kubectl"), "kustomize"],
        "kustomize": [built_tool("kustomize"), "build"],
    }


def container_env() -> dict[str, str]:
    """The environment for kustomize and kpt to run krm-fn's image with podman."""
    conf = BUILD / "containers.conf"
    if not conf.exists() or not (BUILD / "shim" / "docker").exists():
        pytest.fail("the image is not built: `make test` runs scripts/build-image.sh first")
    tool("podman")
    return {
        **os.environ,
        "CONTAINERS_CONF": str(conf),
        "PATH": f"{BUILD / 'shim'}:{os.environ.get('PATH', '')}",
        "KPT_FN_RUNTIME": "podman",
    }


# The sidecar-log-shipper example, which most tests start from -----------------------------------
SHIPPER = EXAMPLES / "sidecar-log-shipper"
SHIPPER_CONFIG = SHIPPER / "log-shipper.yaml"
SHIPPER_DEPLOYMENT = SHIPPER / "deployment.yaml"


def shipper(**spec: Any) -> dict[str, Any]:
    """The example's Sidecar config, with the spec fields given replaced."""
    config: dict[str, Any] = yamlio.load(SHIPPER_CONFIG.read_text())
    config["spec"] |= spec
    return config


def shop() -> dict[str, Any]:
    """The example's Deployment, with a data volume its app mounts."""
    deployment: dict[str, Any] = yamlio.load(SHIPPER_DEPLOYMENT.read_text())
    spec = deployment["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "data", "emptyDir": {}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    return deployment


def deployment(name: str) -> dict[str, Any]:
    """A Deployment of one nginx container, labelled app=x."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": "x"}},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }


def agent_sidecar(security: dict[str, Any], volumes: list[Any] | None = None) -> dict[str, Any]:
    """A Sidecar config of one container "agent" with this securityContext (and a mounted
    volume, if given)."""
    container = {"name": "agent", "image": "busybox:1.36.1", "securityContext": security}
    spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
        container["volumeMounts"] = [{"name": volumes[0]["name"], "mountPath": "/host"}]
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Sidecar",
        "metadata": {"name": "agent"},
        "spec": spec,
    }


def graceful_shutdown() -> dict[str, Any]:
    """A GracefulShutdown config "drain": a 5 s preStop sleep."""
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "GracefulShutdown",
        "metadata": {"name": "drain"},
        "spec": {"sleepSeconds": 5},
    }


def team_labels() -> dict[str, Any]:
    """A PodDefaults config "defaults": the label team=shop."""
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "PodDefaults",
        "metadata": {"name": "defaults"},
        "spec": {"labels": {"team": "shop"}},
    }


def errors(results: list[Result]) -> list[Result]:
    """The results of severity error."""
    return [r for r in results if r.severity == "error"]


def write_documents(path: Path, documents: list[Any]) -> Path:
    """Write documents as one YAML stream to path."""
    path.write_text(yamlio.dump_all(documents))
    return path


def pod_template(documents: str) -> dict[str, Any]:
    """The pod template of the one Deployment in a YAML stream."""
    [deployment] = [d for d in yamlio.load_all(documents) if d["kind"] == "Deployment"]
    template: dict[str, Any] = deployment["spec"]["template"]
    return template
