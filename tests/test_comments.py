"""Comments inside a document krm-fn changes stay at their fields (krm_fn/manifests/comments.py).

`krm-fn run` writes a changed document anew (PyYAML keeps no comments); the comments of the
text as read are put back where their fields are, as kpt puts them back around a KRM function.
Checked against kpt itself, and on generated comments, where the values must always come out
exactly as without comments.
"""

import os
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLES, corpus_file, krm_fn_command, run, tool
from test_commands import LABEL_CONFIG, changed_lines

from krm_fn.manifests import comments, sources, yamlio

CONFIG = EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml"
RUNS = int(os.environ.get("KRM_FN_PROPERTY_EXAMPLES", "400"))
COMMENTED = """\
# Copyright header
---
apiVersion: apps/v1
kind: Deployment
metadata:  # about metadata
  name: shop  # the inline comment
spec:
  # how many
  replicas: 2

  selector: {matchLabels: {app: shop}}
  template:
    metadata:
      labels: {app: shop}
    spec:
      # the app itself
      containers:
      # the main container
      - name: shop
        image: "nginx:1.27" # pinned
        args: ['--a', "--b"] # flow args
        env:
        - {name: X, value: "1 # one"}  # x is one
        - name: SCRIPT
          value: |  # a script
            echo one # not a comment
          # after the script
        # end of env
      # end of containers
# end of document
"""


def krm_fn_run(package: Path, config: Path = CONFIG) -> str:
    done = run([krm_fn_command(), "run", "-q", "--in-place", str(config), str(package)])
    assert done.returncode == 0, done.stderr
    return (package / "app.yaml").read_text()


def test_every_line_of_the_input_stays_in_order_comments_included(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(COMMENTED)
    after = krm_fn_run(tmp_path)
    removed, added = changed_lines(COMMENTED, after)
    assert removed == []  # the sidecar only adds: every line of the input is still there
    assert not any("#" in line for line in added)
    assert yamlio.load(after)["spec"]["template"]["spec"]["initContainers"][0]["name"] == (
        "access-log"
    )
    lines = after.splitlines()
    # the comments that end a block still end it, before what the sidecar added after it
    assert lines[lines.index("        # end of env") + 1] == "        volumeMounts:"
    assert lines[lines.index("      # end of containers") + 1] == "      volumes:"
    assert lines[-1] == "# end of document"


def comment_neighbours(text: str) -> list[tuple[str, str]]:
    """Each comment (its text) with the content line after it, without comments or spaces."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = re.search(r"(?:^|\s)(#[^#]*)$", line)  # the last: "a # b" is a value
        if not match or line.lstrip().startswith("---") or "# Copyright" in line:
            continue
        rest = [
            re.sub(r"\s+#.*$|\s+", "", later)
            for later in lines[index + 1 :]
            if later.strip() and not later.lstrip().startswith("#")
        ]
        found.append((match.group(1), rest[0] if rest else ""))
    return found


def test_comments_end_up_where_kpt_puts_them(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    kpts = tmp_path / "kpt"
    for package in (ours, kpts):
        package.mkdir()
        (package / "app.yaml").write_text(COMMENTED.split("---\n", 1)[1])
    written = krm_fn_run(ours)
    command = [tool("kpt"), "fn", "eval", str(kpts), "--exec", krm_fn_command()]
    done = run([*command, "--fn-config", str(CONFIG)])
    assert done.returncode == 0, done.stderr
    by_kpt = (kpts / "app.yaml").read_text()
    assert yamlio.load(written) == yamlio.load(by_kpt)
    lines_with_a_hash = [line for line in COMMENTED.splitlines() if "#" in line]
    assert len(comment_neighbours(written)) == len(lines_with_a_hash) - 1  # all but the header
    assert comment_neighbours(written) == comment_neighbours(by_kpt)


def test_the_corpus_comments_end_up_where_kpt_puts_them_and_its_header_stays(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.yaml").write_text(LABEL_CONFIG)
    written = {}
    for who in ("krm-fn", "kpt"):
        (tmp_path / who).mkdir()
        (tmp_path / who / "app.yaml").write_text(corpus_file("microservices-demo.yaml").read_text())
    written["krm-fn"] = krm_fn_run(tmp_path / "krm-fn", tmp_path / "config.yaml")
    command = [tool("kpt"), "fn", "eval", str(tmp_path / "kpt"), "--exec", krm_fn_command()]
    done = run([*command, "--fn-config", str(tmp_path / "config.yaml")])
    assert done.returncode == 0, done.stderr
    written["kpt"] = (tmp_path / "kpt" / "app.yaml").read_text()
    assert yamlio.load_all(written["krm-fn"]) == yamlio.load_all(written["kpt"])
    ours = comment_neighbours(written["krm-fn"])
    header = [c for c in ours if c[1] == "---"]  # the file's license header: kpt drops it
    assert len(header) > 10 and comment_neighbours(written["kpt"]) == ours[len(header) :]
    original = corpus_file("microservices-demo.yaml").read_text()
    assert written["krm-fn"].count("#") == original.count("#")


def test_a_comment_that_would_change_a_value_is_left_out() -> None:
    """Under a `|+` block, a blank line would become part of the value: it is left out."""
    old = "a:\n  b: x\n\n  # about c\n  c: 1\n"
    new_resource = {"a": {"b": "text\n\n", "c": 1}}  # b now written as a `|+` block
    new_text = yamlio.dump(new_resource)
    assert "|+" in new_text
    carried = comments.carry(old, new_text, new_resource)
    assert yamlio.load(carried) == new_resource
    assert "  # about c\n  c: 1" in carried  # the comment is kept, the blank line is not


def test_comment_text_is_only_ever_a_comment() -> None:
    hostile = ["# key: value", "# ---", "#: x", "# |", "# - item", "# {a: 1}", "# ...", "#!"]
    old = "a:\n" + "".join(f"  {c}\n  k{i}: v{i}  {c}\n" for i, c in enumerate(hostile))
    resource = yamlio.load(old)
    resource["a"]["new"] = "x"
    carried = comments.carry(old, yamlio.dump(resource), resource)
    assert yamlio.load(carried) == resource
    assert all(carried.count(c) == 2 for c in hostile)


def first_is_a_workload(path: Path) -> bool:
    first = yamlio.load_all(path.read_text())[0]
    spec = first.get("spec") if isinstance(first, dict) else None
    return isinstance(spec, dict) and ("template" in spec or "jobTemplate" in spec)


EXAMPLE_WORKLOADS = sorted(p for p in EXAMPLES.glob("*/*.yaml") if first_is_a_workload(p))


@st.composite
def commented(draw: Any) -> tuple[str, Any]:
    """An example workload with comment lines and line-end comments at random places."""
    path = draw(st.sampled_from(EXAMPLE_WORKLOADS))
    text = path.read_text()
    original = yamlio.load_all(text)
    lines = text.split("\n")
    for number in range(draw(st.integers(1, 8))):
        at = draw(st.integers(1, len(lines) - 1))
        if draw(st.booleans()) and lines[at].strip():
            lines[at] += f"  # c{number}"
        else:
            lines.insert(at, " " * draw(st.integers(0, 10)) + f"# c{number}")
    varied = "\n".join(lines)
    try:
        same = yamlio.load_all(varied) == original
    except yamlio.InputError:
        same = False
    return (varied, original) if same else (text, original)


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(commented(), st.sampled_from(["labels", "annotation", "container"]))
def test_generated_comments_never_change_a_value(case: tuple[str, Any], change: str) -> None:
    text, _ = case
    document = sources.read([("app.yaml", text)]).documents[0]
    resource = document.resource
    pod = resource["spec"].get("jobTemplate", resource)["spec"]["template"]
    if change == "labels":
        resource["metadata"].setdefault("labels", {})["team"] = "shop"
    elif change == "annotation":
        pod.setdefault("metadata", {}).setdefault("annotations", {})["a/b"] = "1"
    else:
        pod["spec"]["containers"].insert(0, {"name": "proxy", "image": "envoy"})
    written = sources.render(document)
    assert yamlio.same(yamlio.load(written), resource)
    assert set(re.findall(r"# c\d", written)) == set(re.findall(r"# c\d", document.text))


def test_comments_follow_containers_by_name_when_one_is_inserted_before() -> None:
    old = "containers:\n# about a\n- name: a  # the app\n  image: x\n# about b\n- name: b\n"
    resource = yamlio.load(old)
    resource["containers"].insert(0, {"name": "proxy", "image": "envoy"})
    lines = comments.carry(old, yamlio.dump(resource), resource).splitlines()
    assert lines[lines.index("# about a") + 1] == "- name: a  # the app"
    assert lines[lines.index("# about b") + 1] == "- name: b"
    assert lines[1] == "- name: proxy"


def test_aliases_are_walked_once_and_come_out_expanded() -> None:
    shared = "[" + ", ".join(f"x{i}" for i in range(50)) + "]"
    old = f"a: &list {shared}  # shared\n" + "".join(f"b{i}: *list  # b{i}\n" for i in range(50))
    resource = yamlio.load(old)
    resource["new"] = 1
    carried = comments.carry(old, yamlio.dump(resource), resource)
    assert yamlio.load(carried) == resource
    assert all(f"# b{i}" in carried for i in range(50)) and "# shared" in carried


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(st.integers(0, len(COMMENTED)), st.sampled_from(list("#:- |>\"'\n\t{}[],&*!"))),
        min_size=1,
        max_size=6,
    )
)
def test_odd_texts_never_break_a_run(edits: list[tuple[int, str]]) -> None:
    """Whatever YAML the text is, a changed document comes out with exactly its values."""
    text = COMMENTED
    for at, character in sorted(edits, reverse=True):
        text = text[:at] + character + text[at:]
    try:
        documents = [d for d in sources.read([("app.yaml", text)]).documents if d.resource]
    except yamlio.InputError:
        return
    for document in documents:
        if isinstance(document.resource, dict):
            document.resource["added"] = {"by": "krm-fn"}
            assert yamlio.same(yamlio.load(sources.render(document)), document.resource)


def test_sequences_keep_their_indentation_new_ones_follow_the_most() -> None:
    old = (
        "spec:\n  containers:\n    - name: app\n      args:\n      - --compact\n"
        "      ports:\n        - containerPort: 80\n  volumes:\n    - name: data\n"
    )
    resource = yamlio.load(old)
    resource["spec"]["containers"][0]["env"] = [{"name": "NEW", "value": "1"}]
    resource["spec"]["initContainers"] = [{"name": "init", "command": ["true"]}]
    lines = comments.carry(old, yamlio.dump(resource), resource).splitlines()
    assert "    - name: app" in lines and "    - name: data" in lines  # wide, as they were
    assert "      - --compact" in lines  # compact, as it was
    assert "        - containerPort: 80" in lines
    assert "        - name: NEW" in lines and "    - name: init" in lines  # new: as most were
    compact = "a:\n- x\nb:\n- y\n"
    resource = {"a": ["x", "z"], "b": ["y"]}
    assert comments.carry(compact, yamlio.dump(resource), resource) == yamlio.dump(resource)


def test_inject_then_uninject_gives_the_corpus_back_byte_for_byte(tmp_path: Path) -> None:
    """Sequence indentation, comments, blank lines and quotes come back as they were."""
    for name in ("microservices-demo.yaml", "argocd-repo-server-deployment.yaml"):
        original = corpus_file(name).read_text()
        (tmp_path / "app.yaml").write_text(original)
        injected = krm_fn_run(tmp_path)
        assert injected != original
        done = run([krm_fn_command(), "uninject", "-q", "--in-place", str(tmp_path)])
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "app.yaml").read_text() == original, name  # four-space mappings too
