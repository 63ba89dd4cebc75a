"""Shell completion (krm_fn/completion.py), run in the real bash, zsh and fish."""

import json

import pytest
from support import krm_fn, run, tool


def completions(shell: str, line: list[str]) -> list[str]:
    """What the completion script offers for the last word of `line`, run in the real shell."""
    code, script, _ = krm_fn("completion", shell)
    assert code == 0
    if shell == "fish":
        command = f"source; complete -C {json.dumps(' '.join(line))}"
        done = run([tool("fish"), "-c", command], input=script, timeout=30)
        return [entry.split("\t")[0] for entry in done.stdout.splitlines()]
    words = " ".join(json.dumps(w) for w in line)
    call = f"COMP_WORDS=({words}); COMP_CWORD={len(line) - 1}; _krm_fn; "
    call += "printf '%s\\n' \"${COMPREPLY[@]}\""
    if shell == "zsh":
        init = "autoload -Uz compinit && compinit -u"
        done = run([tool("zsh"), "-f", "-c", f"{init}\n{script}\n{call}"], timeout=30)
    else:
        done = run([tool("bash"), "-c", f"{script}\n{call}"], timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion(shell: str) -> None:
    assert "run" in completions(shell, ["krm-fn", "ru"])
    assert "check" not in completions(shell, ["krm-fn", "ru"]) or shell == "zsh"  # zsh filters
    assert "--fail-on-warnings" in completions(shell, ["krm-fn", "run", "--fail"])
    assert {"json", "yaml"} <= set(completions(shell, ["krm-fn", "run", "--results", ""]))
    assert "PodDefaults" in completions(shell, ["krm-fn", "init", "Pod"])
