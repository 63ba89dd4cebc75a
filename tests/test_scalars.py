"""Strings keep their type: what krm-fn writes, kubectl and kustomize read back as the same strings.

PyYAML resolves plain scalars by YAML 1.1 rules without `y`/`n`, and not as Go does: a plain
`n`, `08`, `1e3` or `0o17` in krm-fn's output would be a boolean or a number for kubectl
(sigs.k8s.io/yaml) and kustomize (go-yaml v3). Each property run puts generated tricky strings,
as keys and values, into a ConfigMap that krm-fn passes through, then reads krm-fn's output with
`kubectl label --local -o json` (kubectl's own decoder, JSON out) and with `kubectl kustomize`
followed by the same kubectl read.
"""

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import krm_fn_command, run, tool

from krm_fn.manifests import yamlio

# "<<" is left out: go-yaml takes even a quoted "<<" key for a merge key, whatever writes it
KNOWN = [
    "y", "Y", "n", "N", "yes", "No", "on", "OFF", "true", "False", "~", "null", "",
    "08", "09", "0755", "1e3", "1E-3", "0o17", "0x1F", "0b101", "-0b1", "1_000", "+1", "-.5",
    ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-1-2", "2001-12-14T21:59:43.10-05:00",
    "190:20:30", "=", "1.2.3", "10Mi", "500m", "v1.2", "nginx:1.27", "0x", "1e", "-",
]  # fmt: skip
TRICKY = st.text(alphabet="0123456789yYnNeEoOxXbB._-+:tT ", min_size=1, max_size=8)
CONFIG = {
    "apiVersion": "krm-fn.dev/v1alpha1",
    "kind": "PodDefaults",
    "metadata": {"name": "labels"},
    "spec": {"labels": {"team": "shop"}},
}


def kubectl_reads(path: Path) -> dict[str, str]:
    done = run([tool("kubectl"), "label", "--local", "-f", str(path), "read=back", "-o", "json"])
    assert done.returncode == 0, done.stderr
    data: dict[str, str] = json.loads(done.stdout)["data"]
    return data


@settings(max_examples=12, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(TRICKY, min_size=20, max_size=40, unique=True))
@example(KNOWN)
def test_strings_read_back_as_the_same_strings(tmp_path: Path, values: list[str]) -> None:
    data = {f"k{i}": v for i, v in enumerate(values)} | {v: "key" for v in values if v}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"}, "data": data}
    (tmp_path / "config.yaml").write_text(yamlio.dump(CONFIG))
    (tmp_path / "in.yaml").write_text(yamlio.dump(configmap))
    done = run(
        [krm_fn_command(), "run", "-q", str(tmp_path / "config.yaml"), str(tmp_path / "in.yaml")]
    )
    assert done.returncode == 0, done.stderr
    built = tmp_path / "out" / "cm.yaml"
    built.parent.mkdir(exist_ok=True)
    built.write_text(done.stdout)
    assert kubectl_reads(built) == data

    (built.parent / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    kustomized = run([tool("kubectl"), "kustomize", str(built.parent)])
    assert kustomized.returncode == 0, kustomized.stderr
    (tmp_path / "kustomized.yaml").write_text(kustomized.stdout)
    assert kubectl_reads(tmp_path / "kustomized.yaml") == data
