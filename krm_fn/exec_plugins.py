"""kustomize's legacy exec plugins for krm-fn: one small script per kind (`krm-fn install-plugins`).

kustomize finds the plugin of a transformer at
$KUSTOMIZE_PLUGIN_HOME/<apiVersion>/<lowercase kind>/<Kind>
and runs it with the config file as its argument and the resources on stdin; each script runs
`krm-fn plugin` with the Python this krm-fn is installed in.
"""

import os
import shlex
import sys

from krm_fn import __version__


def install_plugins(directory: str) -> list[str]:
    """Write one legacy exec plugin per kind under directory (which it may create); their paths."""
    from krm_fn.config import API_VERSION, KINDS

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
