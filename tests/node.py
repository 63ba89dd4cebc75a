"""A real one-node cluster for the tests: the control plane of tests/cluster.py, and a node.

kube-scheduler, containerd with runc, the CNI bridge plugin, a kubelet, kube-proxy and CoreDNS,
built from their Go modules (scripts/test-tools.sh) and started here, each by PID, with the
images of scripts/node-images.py (and the project's own, `make image`) imported into
containerd. Pods run: the scheduler places them, the kubelet starts them, they reach each other
and Services by name (CoreDNS, kube-proxy's nftables rules).

Nothing leaves this machine: the node's address is the gateway of a bridge of its own (BRIDGE,
NODE_IP), which the pods sit on, and nothing listens on the machine's own address. At the end
the host is put back as it was (the processes stopped, mounts unmounted, the bridge, cgroups
and kube-proxy's rules removed, the sysctls the kubelet and the CNI plugin change restored),
and a run that was killed is cleaned up by the next one before it starts. One node runs at a
time (the bridge, the runtime directories and the cgroups are the machine's): the `node`
fixture of tests/conftest.py starts it once per session. docs/testing.md says how to use it.

Traps met here, and what is done about them (the workplace's recipe found them first):
cgroup v1 needs `failCgroupV1: false`; root lacks CAP_SYS_RESOURCE, so nothing may lower an
oom_score_adj (containerd `restrict_oom_score_adj`, kubelet `oomScoreAdj: 0`); runc is built
with seccomp (the kubelet asks every sandbox for RuntimeDefault); the pause image is local;
containerd and the kubelet use two host paths whatever they are told (/run/containerd/s for the
shims' sockets, /var/lib/kubelet/device-plugins), which are removed afterwards only when this
harness made them.
"""

import contextlib
import copy
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster import (
    BIN,
    ROOT,
    ControlPlane,
    StartError,
    binary,
    client_certificate,
    control_plane,
    http_ok,
    server,
    wait_until,
    write_certificates,
)

NODE_NAME = "krm-fn-node"
BRIDGE = "krmfn0"
POD_CIDR = "10.77.0.0/24"
NODE_IP = "10.77.0.1"  # the pods' gateway on BRIDGE: the node's address, and the cluster's DNS
SERVICE_RANGE = "10.96.0.0/24"
CLUSTER_DOMAIN = "cluster.local"
RUN = Path("/run/krm-fn-node")  # containerd's state and sockets, runc's state, pod netns, IPAM
KUBELET_ROOT = Path("/var/lib/krm-fn-node/kubelet")
HOST_PATHS = (Path("/run/containerd"), Path("/var/lib/kubelet"))  # used whatever the config says
CNI_BIN = ROOT / ".build" / "cni-bin"
IMAGES = ROOT / ".build" / "node" / "images"
KRM_FN_IMAGE = "localhost/krm-fn:0.1.0"
# What the kubelet, the bridge plugin and kube-proxy change on the host, put back at the end.
SYSCTLS = (
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
)
KUBE_PROXY_TABLES = (("ip", "kube-proxy"), ("ip6", "kube-proxy"))
# The kubelet adds chains to the host's iptables (KUBE-FIREWALL, its canaries), in tables that
# podman's rules share: those chains, and the rules that jump to them, are taken out again.
IPTABLES = ("iptables", "ip6tables")
IPTABLES_TABLES = ("filter", "nat", "mangle")
START_SECONDS = 120

CONTAINERD_CONFIG = """# containerd 2.4 (config version 4) for the test node: its own directories,
# nothing read from /etc; CRI with runc (seccomp) and the CNI bridge.
version = 4
root = "{root}"
state = "{run}/containerd"
temp = "{root}/tmp"
imports = []

[plugins]
  [plugins.'io.containerd.server.v1.grpc']
    address = "{run}/containerd.sock"
  [plugins.'io.containerd.server.v1.ttrpc']
    address = "{run}/containerd.sock.ttrpc"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "registry.k8s.io/pause:3.10.2"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    # root lacks CAP_SYS_RESOURCE here: an oom_score_adj below containerd's own is refused
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "{runc}"
          Root = "{run}/runc"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["{cni_bin}"]
      conf_dir = "{root}/cni"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
  [plugins.'io.containerd.internal.v1.opt']
    path = "{root}/opt"
  [plugins.'io.containerd.image-verifier.v1.bindir']
    bin_dir = "{root}/opt/image-verifier"
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
"""
CNI_CONFIG = {
    "cniVersion": "1.0.0",
    "name": "krm-fn-node",
    "plugins": [
        {
            "type": "bridge",
            "bridge": BRIDGE,
            "isGateway": True,
            "ipMasq": False,
            "hairpinMode": True,
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": POD_CIDR, "gateway": NODE_IP}]],
                "routes": [{"dst": "0.0.0.0/0"}],
                "dataDir": str(RUN / "ipam"),
            },
        }
    ],
}


def kubelet_config(run: Path, certs: Path, port: int, healthz: int) -> dict[str, Any]:
    """The KubeletConfiguration: cgroup v1 allowed, no oom_score_adj, images never collected."""
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "containerRuntimeEndpoint": f"unix://{run}/containerd.sock",
        "imageServiceEndpoint": f"unix://{run}/containerd.sock",
        "address": NODE_IP,
        "port": port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": healthz,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(certs / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDomain": CLUSTER_DOMAIN,
        "clusterDNS": [NODE_IP],
        "resolvConf": str(run / "resolv.conf"),
        "failSwapOn": False,
        "makeIPTablesUtilChains": False,  # no KUBE-FIREWALL in the host's iptables
        "oomScoreAdj": 0,
        "protectKernelDefaults": False,
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "evictionPressureTransitionPeriod": "10s",
        "shutdownGracePeriod": "0s",
        "shutdownGracePeriodCriticalPods": "0s",
        "maxPods": 110,
        "podPidsLimit": -1,
        "serializeImagePulls": False,
        "nodeStatusUpdateFrequency": "10s",
        "syncFrequency": "10s",  # a changed ConfigMap reaches its pods' volumes within seconds
    }


COREFILE = """.:53 {{
    bind {ip}
    errors
    health 127.0.0.1:{health}
    ready 127.0.0.1:{ready}
    kubernetes {domain} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
}}
"""


def run(
    command: list[str], check: bool = False, **kwargs: Any
) -> "subprocess.CompletedProcess[str]":
    """A command's outcome, its output captured."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if check and done.returncode != 0:
        raise StartError(f"{' '.join(command)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


@dataclass
class Node:
    """The running cluster and its node: kubectl, and what a failing pod says about itself."""

    plane: ControlPlane
    directory: Path
    logs: dict[str, Path] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # namespaces, for `forget`

    @property
    def kubeconfig(self) -> Path:
        return self.plane.kubeconfig

    def kubectl(self, *args: str, input: str | None = None, check: bool = False) -> Any:
        return self.plane.kubectl(*args, input=input, check=check)

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> str:
        """A namespace of a test's own (pods need its default ServiceAccount: waited for)."""
        self.created.append(name)
        return self.plane.namespace(name, labels)

    def forget(self, keep: tuple[str, ...] = ()) -> None:
        """Delete the namespaces made since the last call (their pods stop), but `keep`."""
        gone = [n for n in self.created if n not in keep]
        self.created = [n for n in self.created if n in keep]
        if gone:
            self.kubectl("delete", "namespace", *gone, "--wait=false")

    def apply(self, namespace: str, *resources: dict[str, Any]) -> None:
        text = "".join(json.dumps(r) + "\n" for r in resources)  # a stream of JSON objects
        self.kubectl("apply", "-n", namespace, "-f", "-", input=text, check=True)

    def json(self, *args: str) -> Any:
        done = self.kubectl("get", *args, "-o", "json", check=True)
        return json.loads(done.stdout)

    def explain(self, namespace: str) -> str:
        """What the namespace's pods say: statuses, events and every container's log."""
        listed = self.kubectl("get", "pods,jobs,deployments", "-n", namespace, "-o", "wide")
        parts = [f"--- namespace {namespace}:", listed.stdout + listed.stderr]
        parts.append(
            self.kubectl("get", "events", "-n", namespace, "--sort-by=.lastTimestamp").stdout
        )
        pods = self.kubectl("get", "pods", "-n", namespace, "-o", "json")
        for pod in json.loads(pods.stdout or '{"items": []}')["items"]:
            name = pod["metadata"]["name"]
            statuses = pod.get("status", {})
            parts.append(
                f"--- pod {name}: phase {statuses.get('phase')}, conditions "
                f"{json.dumps(statuses.get('conditions', []))}"
            )
            for key in ("initContainerStatuses", "containerStatuses"):
                for status in statuses.get(key, []):
                    parts.append(
                        f"    {status['name']}: {json.dumps(status.get('state'))} "
                        f"restarts {status.get('restartCount')}"
                    )
                    logs = self.kubectl(
                        "logs", "-n", namespace, name, "-c", status["name"], "--tail=30"
                    )
                    parts.append("      " + (logs.stdout or logs.stderr).replace("\n", "\n      "))
        return "\n".join(parts)

    def wait(
        self, namespace: str, what: str, done: Callable[[], bool], seconds: float = 120
    ) -> None:
        """Wait for done(); past the time, an AssertionError that explains the namespace."""
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not after {seconds} s\n{self.explain(namespace)}")
            time.sleep(0.5)

    def exec(self, namespace: str, pod: str, container: str, *command: str) -> Any:
        """A command in a running container."""
        return self.kubectl("exec", "-n", namespace, pod, "-c", container, "--", *command)

    def pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return list(self.json("pods", "-n", namespace, "-l", selector)["items"])

    def live_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        """The pods that are not on their way out."""
        listed = self.pods(namespace, selector)
        return [p for p in listed if not p["metadata"].get("deletionTimestamp")]

    def all_running(self, namespace: str, selector: str, count: int) -> bool:
        """`count` pods, each with every container (native sidecars too) running and ready."""
        found = self.live_pods(namespace, selector)
        if len(found) != count:
            return False
        for pod in found:
            statuses = pod["status"].get("containerStatuses", [])
            sidecars = [
                s
                for s in pod["status"].get("initContainerStatuses", [])
                if "running" in s.get("state", {})
            ]
            if not statuses or not all(s.get("ready") for s in statuses + sidecars):
                return False
        return True

    def running(self, namespace: str, selector: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait for `count` pods with every container running and ready; the pods."""
        self.wait(
            namespace,
            f"{count} pod(s) {selector} running",
            lambda: self.all_running(namespace, selector, count),
        )
        return self.live_pods(namespace, selector)

    def container_log(self, namespace: str, pod: str, container: str) -> str:
        return str(self.kubectl("logs", "-n", namespace, pod, "-c", container).stdout)


def local(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with every container taking its image from the node (never pulled)."""
    made = copy.deepcopy(resource)
    for found in _containers(made):
        found["imagePullPolicy"] = "IfNotPresent"
    return made


def _containers(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("containers", "initContainers") and isinstance(child, list):
                yield from (c for c in child if isinstance(c, dict))
            else:
                yield from _containers(child)
    elif isinstance(value, list):
        for child in value:
            yield from _containers(child)


def built(example: Path, plugin_home: Path) -> list[dict[str, Any]]:
    """What kubectl kustomize builds of an example (krm-fn's exec plugins), images local."""
    from support import tool

    from krm_fn.manifests import yamlio

    env = {"KUSTOMIZE_PLUGIN_HOME": str(plugin_home), "PATH": "/usr/bin:/bin"}
    done = run([tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(example)], env=env)
    assert done.returncode == 0, done.stderr
    return [local(r) for r in yamlio.load_all(done.stdout)]


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    [found] = [r for r in resources if r["kind"] == kind]
    return found


def _pid_file(name: str) -> Path:
    return RUN / "pids" / f"{name}.pid"


def _record(name: str, process: "subprocess.Popen[bytes]") -> None:
    """PID and command line of a process this harness started, for a later run to find."""
    _pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    args = process.args if isinstance(process.args, list) else [process.args]
    _pid_file(name).write_text(f"{process.pid}\n{' '.join(str(a) for a in args)}\n")


def _stop_recorded() -> None:
    """Stop what an earlier run started and left running (it was killed): by the PIDs it
    recorded, if each still runs the command it recorded."""
    for pid_file in sorted((RUN / "pids").glob("*.pid")) if (RUN / "pids").is_dir() else []:
        pid_text, _, command = pid_file.read_text().partition("\n")
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_text)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if cmdline.strip() == command.strip():
                os.kill(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)


def _leftover_shims() -> None:
    """containerd's shims outlive it: those of this node (their command line names its socket)."""
    socket = str(RUN / "containerd.sock")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if b"containerd-shim-runc-v2" in cmdline[0] and socket.encode() in cmdline:
                os.kill(int(entry.name), signal.SIGKILL)


def _unmount_under(*roots: Path) -> None:
    """Unmount everything mounted under these directories, deepest first."""
    mounts = run(["findmnt", "-rn", "-o", "TARGET"]).stdout.split("\n")
    prefixes = [str(r) for r in roots]
    below = [m for m in mounts if any(m == p or m.startswith(p + "/") for p in prefixes)]
    for mount in sorted(below, key=len, reverse=True):
        run(["umount", "-l", mount])


def _remove_kube_chains() -> None:
    """The KUBE-* chains in the host's iptables, and the rules that jump to them."""
    import shlex

    for command in IPTABLES:
        for table in IPTABLES_TABLES:
            listed = run([command, "-t", table, "-S"])
            if listed.returncode != 0:
                continue
            chains = []
            for line in listed.stdout.splitlines():
                words = shlex.split(line)
                if words[:1] == ["-N"] and words[1].startswith("KUBE-"):
                    chains.append(words[1])
                elif words[:1] == ["-A"] and any(w.startswith("KUBE-") for w in words):
                    run([command, "-t", table, "-D", *words[1:]])
            for chain in chains:
                run([command, "-t", table, "-F", chain])
            for chain in chains:
                run([command, "-t", table, "-X", chain])


def _nft_tables() -> set[str]:
    return {line.strip() for line in run(["nft", "list", "tables"]).stdout.splitlines()}


def _remove_new_empty_tables(before: set[str]) -> None:
    """The nftables tables iptables made for those chains, where they were not there before."""
    for table in _nft_tables() - before:
        family, name = table.split()[1:3]
        if "chain" not in run(["nft", "list", "table", family, name]).stdout:
            run(["nft", "delete", "table", family, name])


def _remove_cgroups() -> None:
    """The kubelet's /kubepods in every cgroup hierarchy, deepest first (empty by now)."""
    for hierarchy in Path("/sys/fs/cgroup").glob("*"):
        kubepods = hierarchy / "kubepods"
        if kubepods.is_dir():
            for directory in sorted(kubepods.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if directory.is_dir():
                    with contextlib.suppress(OSError):
                        directory.rmdir()
            with contextlib.suppress(OSError):
                kubepods.rmdir()


def clean_host(directory: Path | None = None) -> None:
    """Put the host back: processes, mounts, the bridge, cgroups, kube-proxy's rules, paths."""
    _stop_recorded()
    _leftover_shims()
    _unmount_under(KUBELET_ROOT, RUN, *([directory] if directory else []))
    run(["ip", "link", "del", BRIDGE])
    for family, table in KUBE_PROXY_TABLES:
        run(["nft", "delete", "table", family, table])
    _remove_kube_chains()
    tables = RUN.parent / "krm-fn-node.nft-tables"
    if tables.exists():
        _remove_new_empty_tables(set(tables.read_text().splitlines()))
        tables.unlink()
    _remove_cgroups()
    saved = RUN.parent / "krm-fn-node.sysctls"
    if saved.exists():
        for line in saved.read_text().splitlines():
            run(["sysctl", "-q", "-w", line])
        saved.unlink()
    for path in HOST_PATHS:
        marker = RUN.parent / f"krm-fn-node.created{str(path).replace('/', '_')}"
        if marker.exists():
            run(["rm", "-rf", str(path)])
            marker.unlink()
    run(["rm", "-rf", str(RUN), str(KUBELET_ROOT.parent)])


def _prepare_host() -> None:
    """What the node needs of the host: the bridge, its runtime directories; what it changes,
    noted to be put back."""
    saved = RUN.parent / "krm-fn-node.sysctls"
    values = []
    for key in SYSCTLS:
        done = run(["sysctl", "-n", key])
        if done.returncode == 0:
            values.append(f"{key}={done.stdout.strip()}")
    saved.write_text("\n".join(values) + "\n")
    (RUN.parent / "krm-fn-node.nft-tables").write_text("\n".join(sorted(_nft_tables())) + "\n")
    for path in HOST_PATHS:
        if not path.exists():
            (RUN.parent / f"krm-fn-node.created{str(path).replace('/', '_')}").touch()
    for made in (RUN / "pids", RUN / "ipam", KUBELET_ROOT):
        made.mkdir(parents=True, exist_ok=True)
    run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
    run(["ip", "addr", "add", f"{NODE_IP}/{POD_CIDR.split('/')[1]}", "dev", BRIDGE], check=True)
    run(["ip", "link", "set", BRIDGE, "up"], check=True)


def free_port_on(address: str) -> int:
    """A free TCP port on an address of this machine (the bridge's)."""
    import socket

    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def import_images(ctr: list[str]) -> None:
    """The pods' images (scripts/node-images.py) and krm-fn's (`make image`), into containerd."""
    archives = sorted(IMAGES.glob("*.tar"))
    if not any(a.name == "pause.tar" for a in archives):
        raise StartError(
            f"{IMAGES} has no images: `make tools` makes them (scripts/node-images.py)"
        )
    own = IMAGES.parent / "krm-fn.tar"
    env = {**os.environ, "CONTAINERS_CONF": str(ROOT / ".build" / "containers.conf")}
    image_id = run(["podman", "image", "inspect", "--format", "{{.Id}}", KRM_FN_IMAGE], env=env)
    if image_id.returncode != 0:
        raise StartError(f"{KRM_FN_IMAGE} is not built: `make image` builds it")
    stamp = IMAGES.parent / ".krm-fn.id"
    if not own.exists() or not stamp.exists() or stamp.read_text() != image_id.stdout:
        own.unlink(missing_ok=True)
        run(
            ["podman", "save", "--format", "docker-archive", "-o", str(own), KRM_FN_IMAGE],
            env=env,
            check=True,
        )
        stamp.write_text(image_id.stdout)
    for archive in [*archives, own]:
        run([*ctr, "images", "import", str(archive)], check=True)


@contextmanager
def node_cluster(directory: Path) -> Iterator[Node]:
    """The control plane and a node with everything above; all of it stopped and the host put
    back at the end."""
    clean_host()  # what a killed run left behind
    _prepare_host()
    try:
        with _cluster(directory) as node:
            yield node
    finally:
        clean_host(directory)


@contextmanager
def _cluster(directory: Path) -> Iterator[Node]:
    certs = directory / "certs"
    apiserver = (
        f"--kubelet-client-certificate={certs / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={certs / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP",
    )
    certs.mkdir(parents=True)
    write_certificates(certs, SERVICE_RANGE.rsplit(".", 1)[0] + ".1")
    client_certificate(certs, "kubelet", f"system:node:{NODE_NAME}", "system:nodes")
    client_certificate(certs, "apiserver-kubelet-client", "kube-apiserver", "system:masters")
    with ExitStack() as stack:
        plane = stack.enter_context(
            control_plane(directory, SERVICE_RANGE, apiserver, "*", "Node,RBAC")
        )
        node = Node(plane, directory, plane.logs)
        for name, process in plane.processes.items():
            _record(name, process)
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

        def start(name: str, command: list[str], grace: float = 20) -> None:
            stack.enter_context(server(plane, name, command, env, grace))
            _record(name, plane.processes[name])

        def wait(what: str, ready: Callable[[], bool]) -> None:
            wait_until(plane, what, ready, START_SECONDS)

        start(
            "kube-scheduler",
            [
                binary("kube-scheduler"),
                f"--kubeconfig={plane.kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port_on('127.0.0.1')}",
                f"--authentication-kubeconfig={plane.kubeconfig}",
                f"--authorization-kubeconfig={plane.kubeconfig}",
            ],
        )
        runtime = directory / "containerd"
        (runtime / "cni").mkdir(parents=True)
        (runtime / "cni" / "10-krm-fn-node.conflist").write_text(json.dumps(CNI_CONFIG))
        config = directory / "containerd.toml"
        config.write_text(
            CONTAINERD_CONFIG.format(root=runtime, run=RUN, runc=binary("runc"), cni_bin=CNI_BIN)
        )
        start("containerd", [binary("containerd"), f"--config={config}"], grace=30)
        ctr = [binary("ctr"), f"--address={RUN / 'containerd.sock'}", "--namespace=k8s.io"]
        wait("containerd", lambda: run([*ctr, "version"]).returncode == 0)
        stack.callback(_remove_sandboxes)  # after the kubelet stops, before containerd does
        import_images(ctr)
        (RUN / "resolv.conf").write_text(f"nameserver {NODE_IP}\n")
        kubelet = directory / "kubelet"
        kubelet.mkdir()
        kubeconfig = _kubeconfig(plane, kubelet / "kubeconfig", certs, "kubelet")
        port, healthz = free_port_on(NODE_IP), free_port_on("127.0.0.1")
        (kubelet / "config.yaml").write_text(json.dumps(kubelet_config(RUN, certs, port, healthz)))
        started = time.time()
        start(
            "kubelet",
            [
                binary("kubelet"),
                f"--config={kubelet / 'config.yaml'}",
                f"--kubeconfig={kubeconfig}",
                f"--hostname-override={NODE_NAME}",
                f"--node-ip={NODE_IP}",
                f"--root-dir={KUBELET_ROOT}",
                f"--cert-dir={KUBELET_ROOT / 'pki'}",
                "--v=1",
            ],
            grace=30,
        )
        # the stack unwinds last in, first out: the pods go through the API while the kubelet
        # runs, what is left through CRI once it stopped, then containerd stops
        stack.callback(_delete_pods, plane)
        wait("kubelet", lambda: http_ok(f"http://127.0.0.1:{healthz}/healthz"))
        wait(f"node {NODE_NAME} Ready", lambda: _ready_since(node, started))
        proxy_health, proxy_metrics = free_port_on("127.0.0.1"), free_port_on("127.0.0.1")
        start(
            "kube-proxy",
            [
                binary("kube-proxy"),
                f"--kubeconfig={plane.kubeconfig}",
                "--proxy-mode=nftables",
                f"--hostname-override={NODE_NAME}",
                f"--cluster-cidr={POD_CIDR}",
                f"--healthz-bind-address=127.0.0.1:{proxy_health}",
                f"--metrics-bind-address=127.0.0.1:{proxy_metrics}",
                "--conntrack-max-per-core=0",
                "--v=1",
            ],
        )
        wait("kube-proxy", lambda: http_ok(f"http://127.0.0.1:{proxy_health}/healthz"))
        dns_health, dns_ready = free_port_on("127.0.0.1"), free_port_on("127.0.0.1")
        corefile = directory / "Corefile"
        corefile.write_text(
            COREFILE.format(
                ip=NODE_IP,
                health=dns_health,
                ready=dns_ready,
                domain=CLUSTER_DOMAIN,
                kubeconfig=plane.kubeconfig,
            )
        )
        start("coredns", [binary("coredns"), "-conf", str(corefile)])
        wait("coredns", lambda: http_ok(f"http://127.0.0.1:{dns_ready}/ready"))
        yield node


def _kubeconfig(plane: ControlPlane, path: Path, certs: Path, user: str) -> Path:
    """A kubeconfig for a client certificate of the control plane's CA."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "node",
                "cluster": {"server": plane.url, "certificate-authority": str(plane.ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate": str(certs / f"{user}.crt"),
                    "client-key": str(certs / f"{user}.key"),
                },
            }
        ],
        "contexts": [{"name": "node", "context": {"cluster": "node", "user": user}}],
        "current-context": "node",
    }
    path.write_text(json.dumps(config))
    return path


def _ready_since(node: Node, started: float) -> bool:
    """The node Ready, as its kubelet reported it after it started (not a stale status)."""
    done = node.kubectl("get", "node", NODE_NAME, "-o", "json")
    if done.returncode != 0:
        return False
    import datetime

    for condition in json.loads(done.stdout)["status"].get("conditions", []):
        if condition["type"] == "Ready" and condition["status"] == "True":
            beat = datetime.datetime.fromisoformat(condition["lastHeartbeatTime"])
            return beat.timestamp() >= started - 1
    return False


def _delete_pods(plane: ControlPlane) -> None:
    """Every workload and pod, through the API while the kubelet runs: preStop hooks, CNI DEL and
    volume unmounts happen as in a cluster."""
    plane.kubectl(
        "delete",
        "jobs,cronjobs,deployments,replicasets,daemonsets,statefulsets",
        "--all",
        "--all-namespaces",
        "--wait=false",
    )
    plane.kubectl(
        "delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--timeout=60s"
    )


def _remove_sandboxes() -> None:
    """What is left in containerd once the kubelet stopped: every pod sandbox, through CRI."""
    run(
        [
            binary("crictl"),
            f"--runtime-endpoint=unix://{RUN / 'containerd.sock'}",
            "rmp",
            "--all",
            "--force",
        ]
    )


if __name__ == "__main__":  # a node to try things by hand: Ctrl-C stops it
    import tempfile

    with tempfile.TemporaryDirectory(prefix="krm-fn-node-") as work, node_cluster(Path(work)) as n:
        print(f"export KUBECONFIG={n.kubeconfig}\n# logs: {work}/*.log; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
