"""GitClone: fill a volume from a git repository before the app starts.

The init-container chapter's example: an httpd container serving `/var/www/html`, filled by an
init container that runs `git clone` into a shared `emptyDir`. krm-fn adds the volume, the init
container (`alpine/git`, pinned) that clones `repository` at `ref` (a branch or tag; default the
remote's default branch) with `depth` (default 1, 0 for the whole history), and mounts the volume
read-only into the app at `mountPath`. Init containers may run again when the pod restarts, so
the clone is idempotent: if the volume already holds the repository, it fetches `ref` and checks
it out instead of failing on a non-empty directory.

`repository` is an `https://`, `http://`, `ssh://`, `git://` or `file://` URL or `user@host:path`
(never `ext::`, which runs commands), and `ref` a name `git check-ref-format` accepts that does
not start with `-`: the script quotes both and ends git's options with `--`.

`sync: true` is the "init plus sidecar" case: content that must stay current. The clone is then
done by git-sync (`--one-time`), and a git-sync sidecar keeps pulling every `syncPeriod`; git-sync
publishes each revision atomically through the symlink `<mountPath>/<syncLink>` (default
`current`), so point the app there.

Seen running on the test node (tests/test_scenarios.py): the app serves the file of a repository
cloned shallow over smart HTTP from a pod; with `sync`, a commit pushed later reaches the running
app through the link, with no restart (git-sync is a stand-in there: the Go module proxy does not
serve it).
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.patterns import Facts
from krm_fn.patterns.init_container import init_container, share_volume
from krm_fn.patterns.sidecar import use_native

if TYPE_CHECKING:
    from krm_fn.patterns.models.git_clone import Spec

CLONE_DIR = "/git"
# git's own transports; `ext::` and the like run commands, and `-` would start an option
REPOSITORY = re.compile(
    r"^(?:(?:https?|ssh|git|file)://[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s-][^\s]*)$"
)
GO_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$")


def check_repository(value: str) -> str:
    """A repository URL of git's plain transports (https, http, ssh, git, file, user@host:path)."""
    if not REPOSITORY.match(value):
        raise ValueError(
            f"{value!r} is not an https://, http://, ssh://, git:// or file:// URL, or "
            "user@host:path"
        )
    return value


def check_ref(value: str) -> str:
    """A branch, tag or commit as `git check-ref-format` accepts it, and never an option."""
    bad = (
        value.startswith(("-", "/"))
        or value.endswith(("/", ".", ".lock"))
        or any(part in value for part in ("..", "@{", "//", "\\"))
        or any(not c.isprintable() or c in " ~^:?*[" for c in value)
        or value == "@"
    )
    if bad:
        raise ValueError(f"{value!r} is not a git branch, tag or commit name")
    return value


def check_duration(value: str) -> str:
    """A Go duration such as `60s` or `1m30s` (git-sync's --period)."""
    if not GO_DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration like 60s or 1m30s")
    return value


def script(spec: Spec, directory: str = CLONE_DIR) -> str:
    """A clone that can run again: fetch and check out when the repository is already there."""
    q = shlex.quote
    depth = f" --depth {spec.depth}" if spec.depth else ""
    ref = q(spec.ref) if spec.ref else "HEAD"
    branch = f" {q('--branch=' + spec.ref)}" if spec.ref else ""
    # the emptyDir belongs to root and the clone to the container's user: without this, git
    # refuses the repository as of "dubious ownership" (safe.directory is honoured from -c)
    in_clone = f"git -c safe.directory={directory} -C {directory}"
    return "\n".join(
        [
            "set -eu",
            f"if [ -d {directory}/.git ]; then",
            f"  {in_clone} fetch{depth} -- origin {ref}",
            f"  {in_clone} checkout --force FETCH_HEAD",
            "else",
            f"  git clone{depth}{branch} -- {q(spec.repository)} {directory}",
            "fi",
            f"{in_clone} log -1 --format='cloned %H'",
            "",
        ]
    )


def _git_sync(spec: Spec, one_time: bool) -> list[str]:
    args = [f"--repo={spec.repository}", f"--root={CLONE_DIR}", f"--link={spec.sync_link}"]
    if spec.ref:
        args.append(f"--ref={spec.ref}")
    if spec.depth:
        args.append(f"--depth={spec.depth}")
    args.append("--one-time" if one_time else f"--period={spec.sync_period}")
    return args


FACTS = Facts(
    example="git-clone-httpd",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """The shared volume, the clone (and the syncer), the app's read-only mount."""
    share_volume(pod, spec, {"name": spec.volume_name, "emptyDir": {}}, spec.mount_path)
    mount = [{"name": spec.volume_name, "mountPath": CLONE_DIR}]
    containers: list[dict[str, Any]] = []
    if not spec.sync:
        command = ["sh", "-c", script(spec)]
        clone = {"name": spec.container_name, "image": spec.image, "command": command}
        containers.append(init_container(spec, {**clone, "volumeMounts": mount}))
        pod.add_init_containers(containers, spec.position)
        return
    native = use_native(spec, pod)
    if native is None:
        return
    clone = {"name": spec.container_name, "image": spec.sync_image, "args": _git_sync(spec, True)}
    containers.append(init_container(spec, {**clone, "volumeMounts": mount}))
    syncer = {
        "name": f"{spec.container_name}-sync"[:63],
        "image": spec.sync_image,
        "args": _git_sync(spec, False),
        "volumeMounts": mount,
    }
    syncer = init_container(spec, syncer)
    if native:
        containers.append({**syncer, "restartPolicy": "Always"})
    pod.add_init_containers(containers, spec.position)
    if not native:
        pod.add_container(syncer)
