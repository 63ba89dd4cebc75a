"""krm-fn as an Argo CD config-management plugin: `krm-fn argocd-generate`, the plugin's generate.

argocd-cmp-server runs it in the app's directory (a copy of the repository) with the app's
settings in the environment: `KUBE_VERSION` and `KUBE_API_VERSIONS` of the destination cluster,
`ARGOCD_APP_NAME` and `ARGOCD_APP_NAMESPACE`, the Application's `plugin.env` as `ARGOCD_ENV_*`
and its `plugin.parameters` as JSON in `ARGOCD_APP_PARAMETERS`. It prints the manifests and
nothing else on stdout; any problem is a message on stderr (Argo CD shows it as the
Application's ComparisonError) and exit 1, and so is an empty result, which auto-prune would take
as "delete everything".

- A directory with a kustomization is built by kustomize with krm-fn's exec plugins, which
  apply the configs it lists under `transformers:`; this process answers them itself
  (plugins.plugin_server), at the same point of kustomize's pipeline, so that a build starts
  one Python, not one per transformer.
- A directory with a Chart.yaml is rendered by `helm template` (release name, namespace, values
  files and values from the parameters; CRDs included, as Argo CD's own Helm does), and then
  krm-fn's configs are applied: the `configs` parameter, or else the krm-fn config files beside
  Chart.yaml.

Parameters are read as data, never as shell: a value cannot become a command or an option,
and a file it names must lie inside the repository. The repository's author may be hostile (the
sidecar serves every app): nothing in the repository runs in krm-fn's Python (`-I`), the exec
plugins kustomize runs are verified before each use, kustomize's build options come from the
sidecar's environment (whoever installs the plugin), not from an Application.
"""

import contextlib
import os
import posixpath
import re
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
    "kubernetes-version": (
        "string",
        "the Kubernetes version krm-fn targets (native sidecars, "
        "preStop sleep); default: the destination cluster's",
    ),
    "fail-on-warnings": ("string", "true: every krm-fn warning is an error the Application shows"),
    "strict": ("string", "true: a config that selects no workload is an error"),
    "configs": (
        "array",
        "krm-fn config files, relative to the app's directory, applied in "
        "order after the build; a chart's default: the krm-fn configs beside Chart.yaml",
    ),
    "values-files": ("array", "Helm values files, relative to the app's directory"),
    "values": ("string", "Helm values as YAML, after the values files"),
    "release-name": ("string", "the Helm release name; default: the Application's name"),
}
BOOLEANS = {"true": True, "false": False, "": False}
# Helm's own rule for a release name (chartutil.ValidateReleaseName): a DNS-1123 subdomain of at
# most 53 characters, so that it never reads as an option.
RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
RELEASE_NAME_LENGTH = 53
# `kustomize build` flags an Application may set in its plugin.env (KUSTOMIZE_BUILD_OPTIONS), with
# the values each takes: none reads a file outside the repository, runs a command or writes.
# Anything else is the sidecar's to set (KRM_FN_KUSTOMIZE_BUILD_OPTIONS), as Argo CD keeps its
# own kustomize.buildOptions to the admin.
APP_BUILD_OPTIONS: dict[str, frozenset[str] | None] = {
    "--reorder": frozenset(["legacy", "none"]),
    "--load-restrictor": frozenset(["LoadRestrictionsRootOnly"]),
    "--enable-managedby-label": None,
}


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
    release = text("release-name", default=environ.get("ARGOCD_APP_NAME", ""))
    if release and (len(release) > RELEASE_NAME_LENGTH or not RELEASE_NAME.fullmatch(release)):
        raise PluginError(
            f"release-name {release!r} (the parameter, or else the Application's name) is not a "
            f"Helm release name: lowercase letters, digits, '-' and '.', at most "
            f"{RELEASE_NAME_LENGTH} characters, starting and ending with a letter or digit"
        )
    return Settings(
        kubernetes_version=version or environ.get("KUBE_VERSION", ""),
        fail_on_warnings=flag("fail-on-warnings", "ARGOCD_ENV_KRM_FN_FAIL_ON_WARNINGS"),
        strict=flag("strict", "ARGOCD_ENV_KRM_FN_STRICT"),
        configs=paths("configs"),
        values_files=paths("values-files"),
        values=text("values"),
        release_name=release,
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
    """The repository copy the app lies in: its directory minus ARGOCD_APP_SOURCE_PATH.

    Argo CD cleans the path to find the app's directory but passes it raw: `x/../apps/chart`
    is `apps/chart`. A path that leaves the repository, or that does not lead from the root so
    found to the app's directory, is refused (every file a parameter names is checked against
    this root).
    """
    raw = environ.get("ARGOCD_APP_SOURCE_PATH", "")
    cleaned = posixpath.normpath(raw.lstrip("/") or ".")
    if cleaned == ".." or cleaned.startswith("../"):
        raise PluginError(f"ARGOCD_APP_SOURCE_PATH {raw!r} leaves the repository")
    parts = [] if cleaned == "." else cleaned.split("/")
    here = directory.resolve()
    root = here
    for _ in parts:
        root = root.parent
    if root.joinpath(*parts).resolve() != here:  # (a link on the way may lead here, too)
        raise PluginError(
            f"ARGOCD_APP_SOURCE_PATH {raw!r} does not lead to the app's directory {here}"
        )
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
            if any(
                line.startswith("apiVersion:") and CONFIG_API in line for line in head.splitlines()
            ):
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
    """`kustomize build --enable-alpha-plugins` with krm-fn's exec plugins for its transformers.

    The plugins are answered by this process (plugin_server): no second Python per build.
    """
    from krm_fn.plugins import plugin_server

    settings = _krm_fn_env(wanted)
    env = {**environ, "KUSTOMIZE_PLUGIN_HOME": plugin_home(environ), **settings}
    command = _command(environ, "KRM_FN_KUSTOMIZE", "kustomize build")
    options = shlex.split(environ.get("KRM_FN_KUSTOMIZE_BUILD_OPTIONS", ""))
    options += app_build_options(environ.get("ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS", ""))
    with plugin_server(settings) as server:
        return _run(
            [*command, "--enable-alpha-plugins", *options, "."], {**env, **server}, directory
        )


def app_build_options(text: str) -> list[str]:
    """The Application's KUSTOMIZE_BUILD_OPTIONS, each flag on the allow-list, as `--flag=value`."""
    words = shlex.split(text)
    options = []
    while words:
        word = words.pop(0)
        flag, equals, value = word.partition("=")
        if flag not in APP_BUILD_OPTIONS:
            raise PluginError(
                f"KUSTOMIZE_BUILD_OPTIONS in the Application's plugin.env: {flag!r} is not one "
                f"an app may set ({', '.join(APP_BUILD_OPTIONS)}); kustomize flags can run "
                "commands and read files outside the repository, so the sidecar's "
                "KRM_FN_KUSTOMIZE_BUILD_OPTIONS sets the others (whoever installs the plugin)"
            )
        allowed = APP_BUILD_OPTIONS[flag]
        if allowed is None:
            if equals:
                raise PluginError(f"KUSTOMIZE_BUILD_OPTIONS: {flag} takes no value")
            options.append(flag)
            continue
        if not equals:
            value = words.pop(0) if words else ""
        if value not in allowed:
            raise PluginError(
                f"KUSTOMIZE_BUILD_OPTIONS: {flag} {value!r} is not one an app may set "
                f"({', '.join(sorted(allowed))})"
            )
        options.append(f"{flag}={value}")
    return options


def plugin_home(environ: Mapping[str, str]) -> str:
    """krm-fn's exec plugins for kustomize, in a directory the apps cannot have changed.

    The image writes them at build time, owned by root (`KRM_FN_PLUGIN_HOME`); without it they
    are written once per version and Python into a directory of this user (writing them for
    every generate would cost more than the build) and checked, byte for byte, before each use:
    a directory that is not this user's alone, or that holds anything else, is not used.
    """
    from krm_fn.plugins import plugins_intact

    built = environ.get("KRM_FN_PLUGIN_HOME", "")
    if built:
        if not plugins_intact(built):
            raise PluginError(
                f"KRM_FN_PLUGIN_HOME {built}: the exec plugins there are not this krm-fn's "
                "(write them again with krm-fn install-plugins when building the image)"
            )
        return built
    return _cached_plugins()


def _cached_plugins() -> str:
    import stat
    import zlib

    from krm_fn.plugins import plugins_intact

    base = os.path.join(tempfile.gettempdir(), f"krm-fn-plugins-{os.getuid()}")
    key = f"{__version__}-{zlib.crc32(sys.executable.encode()):08x}"  # scripts name the Python
    home = os.path.join(base, key.replace(os.sep, "_"))
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o700)
    found = os.lstat(base)
    private = stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
    if not private or found.st_mode & 0o077:
        return _written(tempfile.mkdtemp(prefix="krm-fn-plugins-"))
    if plugins_intact(home):
        return home
    fresh = _written(tempfile.mkdtemp(prefix="new-", dir=base))
    import shutil

    if os.path.lexists(home):  # not as written (changed, or half written): replaced
        stale = tempfile.mkdtemp(prefix="stale-", dir=base)
        with contextlib.suppress(OSError):
            os.rename(home, os.path.join(stale, "plugins"))
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(fresh, home)
    except OSError:  # another generate was first: use its copy if it is intact
        shutil.rmtree(fresh, ignore_errors=True)
    return home if plugins_intact(home) else _written(tempfile.mkdtemp(prefix="new-", dir=base))


def _written(directory: str) -> str:
    from krm_fn.plugins import install_plugins

    install_plugins(directory)
    return directory


def helm_template(directory: Path, root: Path, wanted: Settings, environ: Mapping[str, str]) -> str:
    """`helm template` of the chart, as Argo CD's own Helm renders it."""
    release = wanted.release_name or "release"
    # every value attached to its flag (`--flag=value` cannot read as another flag), and the
    # release name and chart after `--`
    command = [*_command(environ, "KRM_FN_HELM", "helm"), "template", "--include-crds"]
    namespace = environ.get("ARGOCD_APP_NAMESPACE", "")
    if namespace:
        command.append(f"--namespace={namespace}")
    if environ.get("KUBE_VERSION"):
        command.append(f"--kube-version={environ['KUBE_VERSION']}")
    for api in filter(None, environ.get("KUBE_API_VERSIONS", "").split(",")):
        command.append(f"--api-versions={api}")
    for name in wanted.values_files:
        command.append(f"--values={inside(root, directory, name, 'values file')}")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="krm-fn-values-") as values:
        if wanted.values:
            values.write(wanted.values)
            values.flush()
            command.append(f"--values={values.name}")
        return _run([*command, "--", release, "."], dict(environ), directory)


def _krm_fn_env(wanted: Settings) -> dict[str, str]:
    """The settings as the environment of krm-fn's exec plugins and `run`."""
    return {
        "KRM_FN_KUBERNETES_VERSION": wanted.kubernetes_version,
        "KRM_FN_FAIL_ON_WARNINGS": "true" if wanted.fail_on_warnings else "false",
        "KRM_FN_STRICT": "true" if wanted.strict else "false",
    }


def apply_configs(rendered: str, configs: list[str], namespace: str, wanted: Settings) -> str:
    """`krm-fn run` of the configs, in order, on the rendered manifests, in this process.

    No second Python: its start-up would be most of a small chart's generate.
    """
    import io

    from krm_fn import framework

    os.environ.update(_krm_fn_env(wanted))  # this process generates one app, then exits
    stderr = io.StringIO()
    output = ""

    def run() -> int:
        nonlocal output
        output, code = framework.run_configs(configs, rendered, stderr, namespace or None)
        return code

    if framework.guarded(run, stderr) != 0:
        raise PluginError(stderr.getvalue().strip() or "krm-fn run failed")
    return output


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


HELP = """usage: krm-fn argocd-generate

The Argo CD plugin's generate command: argocd-cmp-server runs it in the app's directory, with
the app's settings in the environment (KUBE_VERSION, ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE,
ARGOCD_ENV_*, ARGOCD_APP_PARAMETERS). It builds the kustomization or the chart there, applies
krm-fn's configs and prints the manifests; any problem is a message on stderr and exit 1.
It takes no arguments. See kustomization-examples/argocd-cmp-plugin.
"""


def main(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """The plugin's generate command: the manifests on stdout, or a message and exit 1."""
    if args in (["-h"], ["--help"]):
        stdout.write(HELP)
        return 0
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
