"""WaitFor: hold the pod until its dependencies answer.

An init container (busybox, pinned) waits, one dependency after the other, until each TCP
`host:port` accepts a connection (`nc`), each HTTP(S) URL answers with a 2xx (`wget`), and
each DNS name resolves (`nslookup`), each attempt bounded to 5 seconds, retrying every
`intervalSeconds`. After `timeoutSeconds` in all it fails with a message naming what did not
answer, so the pod restarts it and `kubectl describe pod` shows why, instead of the app
crash-looping on a refused connection.
Hosts and DNS names must be host names or IP addresses (never `-...`, which nc and nslookup
would read as options), URLs `http://` or `https://`.
It goes first among the init containers by default, so that migrations and the app start only
once the database is there.

Seen running on the test node (tests/test_scenarios.py): the pod stays in Init while the dependency
does not answer and starts within seconds once it does, for the TCP, HTTP and DNS forms.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.patterns import Facts
from krm_fn.patterns.checks import check_host
from krm_fn.patterns.init_container import init_container

if TYPE_CHECKING:
    from krm_fn.patterns.models.wait_for import Spec


def check_host_port(value: list[str]) -> list[str]:
    """Each TCP target is host:port."""
    for target in value:
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f'"{target}" is not host:port')
        check_host(host.removeprefix("[").removesuffix("]"))
    return value


def check_something(spec: Spec) -> Spec:
    """WaitFor waits for something: tcp, http or dns."""
    if not (spec.tcp or spec.http or spec.dns):
        raise ValueError("nothing to wait for: set tcp, http or dns")
    return spec


def script(spec: Spec) -> str:
    """Wait for each dependency in turn, within one overall deadline."""
    q = shlex.quote
    lines = [
        "set -u",
        f"deadline=$(( $(date +%s) + {spec.timeout_seconds} ))",
        "wait_for() {",
        '  what="$1"; shift',
        f'  until timeout {min(5, spec.timeout_seconds)} "$@" </dev/null >/dev/null 2>&1; do',
        '    if [ "$(date +%s)" -ge "$deadline" ]; then',
        f'      echo "gave up after {spec.timeout_seconds}s waiting for $what" >&2; exit 1',
        "    fi",
        f'    echo "waiting for $what"; sleep {spec.interval_seconds}',
        "  done",
        '  echo "$what is up"',
        "}",
    ]
    for target in spec.tcp:
        host, _, port = target.rpartition(":")
        lines.append(f"wait_for {q(target)} nc -w 2 -- {q(host)} {port}")
    for url in spec.http:
        lines.append(f"wait_for {q(url)} wget -q -O /dev/null {q(url)}")
    for name in spec.dns:
        lines.append(f"wait_for {q(name)} nslookup {q(name)}")
    return "\n".join(lines) + "\n"


FACTS = Facts(
    example="wait-for-database",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """One init container that waits for every dependency."""
    container = {
        "name": spec.container_name,
        "image": spec.image,
        "command": ["sh", "-c", script(spec)],
    }
    pod.add_init_containers([init_container(spec, container)], spec.position)
