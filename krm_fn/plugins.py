"""The plugins krm-fn writes for the tools that run it, each running this installation's krm-fn.

kustomize's legacy exec plugins, one small script per kind (`krm-fn install-plugins`): kustomize
finds the plugin of a transformer at $KUSTOMIZE_PLUGIN_HOME/<apiVersion>/<lowercase kind>/<Kind>
and runs it with the config file as its argument and the resources on stdin; each script runs
`krm-fn plugin` with the Python this krm-fn is installed in.

Helm 4's post-renderer plugin (`krm-fn helm-plugin DIR`): a plugin.yaml that runs
`krm-fn helm-post-render` (helm.py).
"""

import os
import shlex
import sys

from krm_fn import __version__

HELM_PLUGIN_NAME = "krm-fn"
POST_RENDER_COMMAND = "helm-post-render"


def install_plugins(directory: str) -> list[str]:
    """Write one legacy exec plugin per kind under directory (which it may create); their paths."""
    from krm_fn.engine.config import API_VERSION, KINDS

    paths = []
    for kind in KINDS:
        folder = os.path.join(directory, API_VERSION, kind.lower())
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, kind)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                "#!/bin/sh\n"
                f"# krm-fn {__version__}: legacy kustomize exec plugin for {API_VERSION} {kind}\n"
                f'exec {shlex.quote(sys.executable)} -m krm_fn plugin "$@"\n'
            )
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def helm_plugin_manifest() -> dict[str, object]:
    """The plugin.yaml of the Helm 4 post-renderer plugin, running this installation's krm-fn."""
    python = sys.executable
    if "$" in python:  # Helm expands $VARIABLES in a plugin's command and arguments
        raise ValueError(f"the Python path {python!r} holds a $, which Helm would expand")
    return {
        "apiVersion": "v1",
        "type": "postrenderer/v1",
        "name": HELM_PLUGIN_NAME,
        "version": __version__,
        "runtime": "subprocess",
        "runtimeConfig": {
            "platformCommand": [
                {"command": python, "args": ["-m", "krm_fn", POST_RENDER_COMMAND]},
            ],
        },
    }


def write_helm_plugin(directory: str) -> str:
    """Write plugin.yaml into directory (created if missing); its path."""
    from krm_fn.manifests import yamlio

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "plugin.yaml")
    header = (
        f"# krm-fn {__version__}: a Helm 4 post-renderer plugin. Install: helm plugin install "
        f"DIR\n# Use: helm install|upgrade|template ... --post-renderer {HELM_PLUGIN_NAME} "
        "--post-renderer-args CONFIG\n"
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + yamlio.dump(helm_plugin_manifest()))
    return path
