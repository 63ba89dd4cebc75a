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
from support import built_tool, krm_fn_command, run, tool

from krm_fn.manifests import yamlio

# "<<" is left out: go-yaml takes even a quoted "<<" key for a merge key, whatever writes it
KNOWN = [
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "~",
    "null",
    "",
    "08",
    "09",
    "0755",
    "1e3",
    "1E-3",
    "0o17",
    "0x1F",
    "0b101",
    "-0b1",
    "1_000",
    "+1",
    "-.5",
    ".inf",
    "-.Inf",
    ".NaN",
    "2001-12-14",
    "2001-1-2",
    "2001-12-14T21:59:43.10-05:00",
    "190:20:30",
    "=",
    "1.2.3",
    "10Mi",
    "500m",
    "v1.2",
    "nginx:1.27",
    "0x",
    "1e",
    "-",
]
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


@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
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


# Plain scalars as go-yaml v3 reads them (kustomize, kpt), told apart from YAML 1.1's readings
# (PyYAML's): base 60, 0o, floats without a dot, numbers past 64 bits, underscores. Dates are left
# out: kustomize writes a date it re-encodes as a timestamp, kubectl and krm-fn keep the string.
GO_YAML_SCALARS = [
    "12:30",
    "190:20:30",
    "-1:30",
    "0o755",
    "0O17",
    "0755",
    "08",
    "09",
    "1e3",
    "1E-3",
    "+1e3",
    "0x1F",
    "0X1f",
    "0b101",
    "-0b1",
    "1_000",
    "0_x1F",
    "1__0",
    "1_",
    "_1",
    "+1",
    "-0",
    "00",
    "-.5",
    ".5",
    ".5_0",
    "._5",
    "1.",
    "0.",
    "1_000.5",
    "0.1e+10",
    "y",
    "n",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "TRUE",
    "~",
    "null",
    "NULL",
    "Null",
    "=",
    "1.2.3",
    "10Mi",
    "500m",
    "0x",
    "1e",
    "+",
    "0o8",
    "0b2",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "+18446744073709551615",
    "1e400",
    "-1e400",
    "0xFFFFFFFFFFFFFFFFFF",
]


def as_json(value: object) -> tuple[str, object]:
    """A value as it is once in JSON, where kustomize's re-encoding puts it: a number is a
    float64 there (1000.0 is 1000, and 2**63 - 1 is 2**63)."""
    kind = {bool: "bool", int: "number", float: "number", str: "string"}.get(type(value), "null")
    return kind, float(value) if kind == "number" else value  # type: ignore[arg-type]


def kustomized(directory: Path, resource: str) -> dict[str, object]:
    """The resource's spec after the real kustomize re-encoded it (a JSON patch decodes every
    value with go-yaml and writes it back from JSON): what kustomize took each scalar for."""
    (directory / "thing.yaml").write_text(resource)
    (directory / "kustomization.yaml").write_text(
        "resources: [thing.yaml]\npatches:\n- target: {kind: Thing}\n  patch: |-\n"
        "    - {op: add, path: /metadata/labels, value: {seen: by-kustomize}}\n"
    )
    done = run([built_tool("kustomize"), "build", str(directory)])
    assert done.returncode == 0, done.stderr
    [thing] = yamlio.load_all(done.stdout)
    assert thing["metadata"]["labels"] == {"seen": "by-kustomize"}  # the patch was applied
    return dict(thing["spec"])


def test_plain_scalars_are_read_as_go_yaml_reads_them(tmp_path: Path) -> None:
    lines = [f"  k{i}: {value}" for i, value in enumerate(GO_YAML_SCALARS)]
    text = "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n"
    text += "\n".join(lines) + "\n"
    ours = yamlio.load(text)["spec"]
    theirs = kustomized(tmp_path, text)
    differ = {
        GO_YAML_SCALARS[int(key[1:])]: (ours[key], theirs.get(key))
        for key in ours
        if as_json(ours[key]) != as_json(theirs.get(key))
    }
    assert not differ, differ  # plain -> (krm-fn's reading, kustomize's)
    # and what krm-fn writes, kustomize reads as the same values
    out = tmp_path / "written"
    out.mkdir()
    assert kustomized(out, yamlio.dump(yamlio.load(text))) == theirs


def test_a_time_of_day_stays_a_string_through_kpt(tmp_path: Path) -> None:
    """`12:30` is no base-60 number: a ConfigMap keeps it, an argument is no error."""
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schedule\ndata:\n  window: 12:30\n"
        "  mode: 0755\n"
    )
    (tmp_path / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: report\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Never\n      containers:\n      - name: report\n"
        "        image: busybox:1.36.1\n        args: [--at, 12:30]\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(yamlio.dump(CONFIG))
    done = run(
        [
            tool("kpt"),
            "fn",
            "eval",
            str(tmp_path),
            "--exec",
            krm_fn_command(),
            "--fn-config",
            str(config),
            "--truncate-output=false",
        ]
    )
    assert done.returncode == 0, done.stderr + done.stdout
    configmap = yamlio.load((tmp_path / "cm.yaml").read_text())
    assert configmap["data"] == {"window": "12:30", "mode": 493}  # as go-yaml reads them
    job = yamlio.load((tmp_path / "job.yaml").read_text())
    assert job["spec"]["template"]["metadata"]["labels"] == {"team": "shop"}  # injected
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["--at", "12:30"]
