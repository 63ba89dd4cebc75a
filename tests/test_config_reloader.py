"""The ConfigReloader sidecar's script, run for real: it watches, it reloads, by HTTP or signal."""

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pods import Pod, http_server, pod_with


def wait_until(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def reloader(tmp_path: Path, bin_dir: Path, method: dict[str, Any]) -> tuple[Pod, Path]:
    app = {
        "name": "app",
        "image": "nginx:1.27.3",
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
    }
    volumes = [{"name": "config", "configMap": {"name": "app-config"}}]
    spec = pod_with(
        "ConfigReloader", {"watch": ["config"], "periodSeconds": 1, **method}, app, volumes
    )
    pod = Pod(spec, tmp_path, bin_dir)
    mount = {"name": "config", "mountPath": "/watch/config", "readOnly": True}
    assert mount in pod.container("config-reloader")["volumeMounts"]
    # the reloader's /watch, with the volume inside it at config/, as in the container
    (tmp_path / "watch" / "config").mkdir(parents=True)
    (tmp_path / "volumes").mkdir(exist_ok=True)
    (tmp_path / "volumes" / "config").symlink_to(tmp_path / "watch" / "config")
    config = pod.volume("config") / "app.conf"
    config.write_text("v1")
    return pod, config


def watching(process: "subprocess.Popen[str]") -> None:
    """Wait for the reloader's first line, written once it has the files' first checksum.

    (A fixed wait raced with a slow start on a busy machine: a change written before the first
    checksum is no change to the reloader.)
    """
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("watching "), line


def default_hangup() -> None:
    """In the child before exec: SIGHUP unblocked and its default action (to end the process)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_posts_to_the_reload_endpoint_when_the_config_changes(
    tmp_path: Path, bin_dir: Path
) -> None:
    with http_server({}) as (port, seen):
        pod, config = reloader(
            tmp_path, bin_dir, {"http": {"url": f"http://127.0.0.1:{port}/-/reload"}}
        )
        process = pod.start("config-reloader", {"/watch": str(tmp_path / "watch")})
        try:
            watching(process)  # its first checksum taken: a change from now on counts
            time.sleep(2.5)
            assert seen == []  # nothing changed yet
            config.write_text("v2")
            assert wait_until(lambda: seen == ["POST /-/reload"]), seen
        finally:
            process.kill()
            process.communicate()


def test_signals_the_app_process(tmp_path: Path, bin_dir: Path) -> None:
    # a name of its own: the reloader signals by name on the whole machine (no process
    # namespace here), so two runs of this test at once must not signal each other's app
    name = f"app{os.getpid()}{time.monotonic_ns() % 1000}"[:15]
    fake_app = tmp_path / name
    shutil.copy("/bin/sleep", fake_app)
    # SIGHUP's default action in the app, whatever the test process inherited (a runner may
    # ignore or block it: both pass through fork and exec)
    app_process = subprocess.Popen([str(fake_app), "60"], preexec_fn=default_hangup)
    pod, config = reloader(tmp_path, bin_dir, {"signal": {"name": "HUP", "process": name}})
    assert pod.spec["shareProcessNamespace"] is True
    process = pod.start("config-reloader", {"/watch": str(tmp_path / "watch")})
    try:
        watching(process)  # its first checksum taken: a change from now on counts
        time.sleep(2.5)
        assert app_process.poll() is None
        config.write_text("v2")
        if not wait_until(lambda: app_process.poll() is not None, 30):
            process.kill()
            said = process.communicate()[0]
            status = Path(f"/proc/{app_process.pid}/status").read_text()
            raise AssertionError(f"the app was not signalled; the reloader said:\n{said}\n{status}")
        assert app_process.returncode == -signal.SIGHUP
    finally:
        process.kill()
        process.communicate()
        app_process.kill()
        app_process.wait()
