"""krm-fn as an Argo CD config-management plugin: `krm-fn argocd-generate`, the plugin's generate.

argocd-cmp-server runs it in the app's directory (a copy of the repository) with the app's
settings in the environment: `KUBE_VERSION` and `KUBE_API_VERSIONS` of the destination cluster,
`ARGOCD_APP_NAME` and `ARGOCD_APP_NAMESPACE`, the Application's `plugin.env` as `ARGOCD_ENV_*`
and its `plugin.parameters` as JSON in `ARGOCD_APP_PARAMETERS`. It prints the manifests and
nothing else on stdout; any problem is a message on stderr (Argo CD shows it as the
Application's ComparisonError) and exit 1, and so is an empty result, which auto-prune would take
as "delete everything".

- A directory with a kustomization is built by kustomize with krm-fn's exec plugins, which
  apply the configs it lists under `transformers:`.
- A directory with a Chart.yaml is rendered by `helm template` (release name, namespace, values
  files and values from the parameters; CRDs included, as Argo CD's own Helm does), and then
  krm-fn's configs are applied: the `configs` parameter, or else the krm-fn config files beside
  Chart.yaml.

Parameters are read as data, never as shell: a value cannot become a command, and a file it
names must lie inside the repository.
"""

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, TextIO

from krm_fn import __version__

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CONFIG_API = "krm-fn.dev/"

# name -> (collection type, what it does): announced in plugin.yaml (a test checks they agree)
PARAMETERS: dict[str, tuple[str, str]] = {
    "kubernetes-version": ("string", "the Kubernetes version krm-fn targets (native sidecars, "
                           "preStop sleep); default: the destination cluster's"),
    "fail-on-warnings": ("string", "true: every krm-fn warning is an error the Application "
                         "shows"),
    "strict": ("string", "true: a config that selects no workload is an error"),
    "configs": ("array", "krm-fn config files, relative to the app's directory, applied in "
                "order after the build; a chart's default: the krm-fn configs beside Chart.yaml"),
    "values-files": ("array", "Helm values files, relative to the app's directory"),
    "values": ("string", "Helm values as YAML, after the values files"),
    "release-name": ("string", "the Helm release name; default: the Application's name"),
}  # fmt: skip
BOOLEANS = {"true": True, "false": False, "": False}


class PluginError(Exception):
    """A problem with the app or its settings: its message goes to Argo CD, exit 1."""


class Settings(NamedTuple):
    """What an Application asks of the plugin, from its parameters and plugin.env."""

    kubernetes_version: str
    fail_on_warnings: bool
    strict: bool
    configs: list[str]
    values_files: list[str]
    values: str
    release_name: str


def settings(environ: Mapping[str, str]) -> Settings:
    """The app's settings: parameters first, then `ARGOCD_ENV_KRM_FN_*`, then the cluster's."""
    given = parameters(environ.get("ARGOCD_APP_PARAMETERS", ""))

    def text(name: str, env: str = "", default: str = "") -> str:
        value = given.get(name)
        if value is None:
            return environ.get(env, "") if env else default
        if not isinstance(value, str):
            raise PluginError(f"parameter {name} takes a string, not a list or map")
        return value

    def flag(name: str, env: str) -> bool:
        value = text(name, env).strip().lower()
        if value not in BOOLEANS:
            raise PluginError(f"parameter {name} (or {env}) is {value!r}: use true or false")
        return BOOLEANS[value]

    def paths(name: str) -> list[str]:
        value = given.get(name, [])
        if not isinstance(value, list):
            raise PluginError(f"parameter {name} takes a list of paths (array)")
        return value

    version = text("kubernetes-version", "ARGOCD_ENV_KRM_FN_KUBERNETES_VERSION")
    return Settings(
        kubernetes_version=version or environ.get("KUBE_VERSION", ""),
        fail_on_warnings=flag("fail-on-warnings", "ARGOCD_ENV_KRM_FN_FAIL_ON_WARNINGS"),
        strict=flag("strict", "ARGOCD_ENV_KRM_FN_STRICT"),
        configs=paths("configs"),
        values_files=paths("values-files"),
        values=text("values"),
        release_name=text("release-name", default=environ.get("ARGOCD_APP_NAME", "")),
    )


def parameters(text: str) -> dict[str, str | list[str] | dict[str, str]]:
    """ARGOCD_APP_PARAMETERS (`[{"name": ..., "string"|"array"|"map": ...}]`) by name."""
    if text.strip() in ("", "null"):  # an Application without parameters: Argo CD sends null
        return {}
    import json

    try:
        listed = json.loads(text)
    except ValueError as err:
        raise PluginError(f"ARGOCD_APP_PARAMETERS is not JSON: {err}") from None
    found: dict[str, str | list[str] | dict[str, str]] = {}
    for index, entry in enumerate(listed if isinstance(listed, list) else [None]):
        where = f"spec.source.plugin.parameters[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise PluginError(f"{where}: expected a name and a value")
        name = entry["name"]
        if name not in PARAMETERS:
            raise PluginError(
                f"{where}: unknown parameter {name!r}; the plugin takes {', '.join(PARAMETERS)}"
            )
        values = [entry[k] for k in ("string", "array", "map") if k in entry]
        if len(values) != 1 or not _well_typed(values[0]):
            raise PluginError(f"{where} ({name}): expected one string, array or map of strings")
        found[name] = values[0]
    return found


def _well_typed(value: object) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    if isinstance(value, dict):
        return all(isinstance(v, str) for v in value.values())
    return isinstance(value, str)


def repository_root(directory: Path, environ: Mapping[str, str]) -> Path:
    """The repository copy the app lies in: its directory minus ARGOCD_APP_SOURCE_PATH."""
    source_path = environ.get("ARGOCD_APP_SOURCE_PATH", "").strip("/")
    depth = len([p for p in Path(source_path).parts if p not in (".", "")])
    root = directory.resolve()
    for _ in range(depth):
        root = root.parent
    return root


def inside(root: Path, directory: Path, name: str, what: str) -> str:
    """The path of `name` (relative to the app's directory), which must lie inside root."""
    if not name or os.path.isabs(name):
        raise PluginError(f"{what} {name!r}: give a path relative to the app's directory")
    path = (directory / name).resolve()
    if path != root and root not in path.parents:
        raise PluginError(f"{what} {name!r} lies outside the repository")
    if not path.is_file():
        raise PluginError(f"{what} {name!r}: no such file in the repository")
    return str(path)


def configs_beside(directory: Path) -> list[str]:
    """The krm-fn config files at the top of a chart, in name order."""
    found = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.is_file() and path.name != "Chart.yaml":
            head = path.read_text(encoding="utf-8", errors="replace")[:4096]
            if any(line.startswith("apiVersion:") and CONFIG_API in line for line in
                   head.splitlines()):  # fmt: skip
                found.append(str(path))
    return found


def _command(environ: Mapping[str, str], variable: str, default: str) -> list[str]:
    return shlex.split(environ.get(variable) or default)


def _run(command: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> str:
    """A tool's stdout; its failure is a PluginError with its stderr."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
        )
    except OSError as err:
        raise PluginError(f"{command[0]}: {err.strerror}") from None
    if done.returncode != 0:
        raise PluginError(done.stderr.strip() or f"{command[0]} exited with {done.returncode}")
    return done.stdout


def kustomize_build(directory: Path, wanted: Settings, environ: Mapping[str, str]) -> str:
    """`kustomize build --enable-alpha-plugins` with krm-fn's exec plugins for its transformers."""
    env = {**environ, "KUSTOMIZE_PLUGIN_HOME": plugin_home(), **_krm_fn_env(wanted)}
    command = _command(environ, "KRM_FN_KUSTOMIZE", "kustomize build")
    options = shlex.split(environ.get("ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS", ""))
    return _run([*command, "--enable-alpha-plugins", *options, "."], env, directory)


def plugin_home() -> str:
    """krm-fn's exec plugins, written once per version and Python into a directory of this user.

    The cmp-server runs generate for every app and refresh: writing them each time (and
    importing what that needs) would cost more than the build. A directory that is not this
    user's alone is never used; then they are written into a fresh one.
    """
    import stat
    import zlib

    base = os.path.join(tempfile.gettempdir(), f"krm-fn-plugins-{os.getuid()}")
    key = f"{__version__}-{zlib.crc32(sys.executable.encode()):08x}"  # scripts name the Python
    home = os.path.join(base, key.replace(os.sep, "_"))
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o700)
    found = os.lstat(base)
    private = stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
    if not private or found.st_mode & 0o077:
        return _written(tempfile.mkdtemp(prefix="krm-fn-plugins-"))
    if os.path.exists(os.path.join(home, ".complete")):
        return home
    fresh = _written(tempfile.mkdtemp(prefix="new-", dir=base))
    try:
        os.rename(fresh, home)
    except OSError:  # another generate was first: use its copy
        import shutil

        shutil.rmtree(fresh, ignore_errors=True)
    return home if os.path.exists(os.path.join(home, ".complete")) else _written(home)


def _written(directory: str) -> str:
    from krm_fn.plugins import install_plugins

    install_plugins(directory)
    with open(os.path.join(directory, ".complete"), "w", encoding="utf-8"):
        pass
    return directory


def helm_template(directory: Path, root: Path, wanted: Settings, environ: Mapping[str, str]) -> str:
    """`helm template` of the chart, as Argo CD's own Helm renders it."""
    release = wanted.release_name or "release"
    command = [*_command(environ, "KRM_FN_HELM", "helm"), "template", release, ".",
               "--include-crds"]  # fmt: skip
    namespace = environ.get("ARGOCD_APP_NAMESPACE", "")
    if namespace:
        command += ["--namespace", namespace]
    if environ.get("KUBE_VERSION"):
        command += ["--kube-version", environ["KUBE_VERSION"]]
    for api in filter(None, environ.get("KUBE_API_VERSIONS", "").split(",")):
        command += ["--api-versions", api]
    for name in wanted.values_files:
        command += ["--values", inside(root, directory, name, "values file")]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="krm-fn-values-") as values:
        if wanted.values:
            values.write(wanted.values)
            values.flush()
            command += ["--values", values.name]
        return _run(command, dict(environ), directory)


def _krm_fn_env(wanted: Settings) -> dict[str, str]:
    """The settings as the environment of krm-fn's exec plugins and `run`."""
    return {
        "KRM_FN_KUBERNETES_VERSION": wanted.kubernetes_version,
        "KRM_FN_FAIL_ON_WARNINGS": "true" if wanted.fail_on_warnings else "false",
        "KRM_FN_STRICT": "true" if wanted.strict else "false",
    }


def apply_configs(rendered: str, configs: list[str], namespace: str, wanted: Settings) -> str:
    """`krm-fn run` of the configs, in order, on the rendered manifests."""
    command = [sys.executable, "-m", "krm_fn", "run", "--quiet"]
    if namespace:
        command += ["--namespace", namespace]
    for config in configs:
        command += ["-c", config]
    env = {**os.environ, **_krm_fn_env(wanted)}
    return _run([*command, "-"], env, Path.cwd(), stdin=rendered)


def render(directory: Path, environ: Mapping[str, str]) -> str:
    """The app's manifests, krm-fn's configs applied."""
    wanted = settings(environ)
    root = repository_root(directory, environ)
    configs = [inside(root, directory, name, "config") for name in wanted.configs]
    if any((directory / name).is_file() for name in KUSTOMIZATIONS):
        rendered = kustomize_build(directory, wanted, environ)
    elif (directory / "Chart.yaml").is_file():
        rendered = helm_template(directory, root, wanted, environ)
        configs = configs or configs_beside(directory)
        if not configs:
            raise PluginError(
                "the chart has no krm-fn config: put one beside Chart.yaml, or name the files "
                "in the Application's plugin parameter configs"
            )
    else:
        raise PluginError(
            "the app's directory has neither a kustomization nor a Chart.yaml: nothing to build"
        )
    if configs:
        rendered = apply_configs(rendered, configs, environ.get("ARGOCD_APP_NAMESPACE", ""), wanted)
    if not rendered.strip():
        raise PluginError(
            "the build produced no resources; refusing to hand Argo CD an empty manifest "
            "(with auto-prune it would delete the application's resources)"
        )
    return rendered


def main(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """The plugin's generate command: the manifests on stdout, or a message and exit 1."""
    if args:
        stderr.write("krm-fn argocd-generate takes no arguments: its settings come from Argo CD\n")
        return 2
    try:
        manifests = render(Path.cwd(), os.environ)
    except PluginError as err:
        stderr.write(f"krm-fn: {err}\n")
        return 1
    stdout.write(manifests)
    return 0
