"""The plugins krm-fn writes for the tools that run it, each running this installation's krm-fn.

kustomize's legacy exec plugins, one small script per kind (`krm-fn install-plugins`): kustomize
finds the plugin of a transformer at $KUSTOMIZE_PLUGIN_HOME/<apiVersion>/<lowercase kind>/<Kind>
and runs it with the config file as its argument and the resources on stdin; each script runs
`krm-fn plugin` with the Python this krm-fn is installed in.

Every command runs that Python isolated (`-I`): kustomize starts a plugin in the kustomization's
directory and Helm a post-renderer wherever it runs, and `python -m` would otherwise import a
`krm_fn` folder found there instead of krm-fn.

Helm 4's post-renderer plugin (`krm-fn helm-plugin DIR`): a plugin.yaml that runs
`krm-fn helm-post-render` (helm.py).
"""

import os
import shlex
import sys

from krm_fn import __version__

HELM_PLUGIN_NAME = "krm-fn"
POST_RENDER_COMMAND = "helm-post-render"


def plugin_scripts(python: str = sys.executable) -> dict[str, str]:
    """Each exec plugin's path (relative to the plugin home) and text, running `python`."""
    from krm_fn.engine.config import API_VERSION, KINDS

    return {
        os.path.join(API_VERSION, kind.lower(), kind): (
            "#!/bin/sh\n"
            f"# krm-fn {__version__}: legacy kustomize exec plugin for {API_VERSION} {kind}\n"
            f'exec {shlex.quote(python)} -I -m krm_fn plugin "$@"\n'
        )
        for kind in KINDS
    }


def _python_of(script: str) -> str | None:
    """The Python a plugin script runs, if the script is one krm-fn writes."""
    lines = script.split("\n")
    words = shlex.split(lines[2]) if len(lines) == 4 and lines[2].startswith("exec ") else []
    return words[1] if len(words) == 7 else None


def install_plugins(directory: str) -> list[str]:
    """Write one legacy exec plugin per kind under directory (which it may create); their paths."""
    paths = []
    for relative, text in plugin_scripts().items():
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def plugins_intact(directory: str) -> bool:
    """Whether directory holds this krm-fn's exec plugins, as written, and nothing else.

    Nothing else: kustomize runs any plugin it finds under its plugin home for a kind a
    kustomization names. No link below the directory, every script executable and unchanged.
    """
    import stat

    expected = plugin_scripts()
    folders = set()
    for relative in expected:
        parent = os.path.dirname(relative)
        while parent:
            folders.add(parent)
            parent = os.path.dirname(parent)
    found_files, found_folders = set(), set()
    try:
        for root, directories, files in os.walk(directory):
            relative = os.path.relpath(root, directory)
            for name in directories:
                path = os.path.normpath(os.path.join(relative, name))
                if os.path.islink(os.path.join(root, name)):
                    return False
                found_folders.add(path)
            for name in files:
                found_files.add(os.path.normpath(os.path.join(relative, name)))
        if found_files != set(expected) or found_folders != folders:
            return False
        written: dict[str, str] = {}  # as this Python writes them, by the name they give it
        for relative in expected:
            path = os.path.join(directory, relative)
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode) or mode & 0o111 != 0o111:
                return False
            with open(path, encoding="utf-8") as handle:
                text = handle.read(4096)
            if not written:
                python = _python_of(text)
                if python is None or not os.path.samefile(python, sys.executable):
                    return False
                written = plugin_scripts(python)
            if text != written[relative]:
                return False
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return True


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
                {"command": python, "args": ["-I", "-m", "krm_fn", POST_RENDER_COMMAND]},
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
