"""Admission without a server: configs compiled to a MutatingAdmissionPolicy (v1).

The API server applies the policy itself (CEL, no webhook to call). It must give a pod exactly
what `krm-fn webhook` gives it, so nothing here re-implements a pattern: the compiler runs the
core at admission as the webhook runs it (engine/admission.py) on probe pods (probe.py), reads
off what the configs add, and checks on a second, different probe that the additions do not
depend on the pod. What compiles
is what only adds: containers, init containers at their position, volumes, and mounts, env and
envFrom in the app containers, labels and annotations, and the record, whose digests are known
when compiling. A config that changes what the pod has (ports, probes, args, a preStop hook,
pod fields) or generates resources is refused, naming the config and the change.

The CEL is exact only for pods without conflicts (a name the injection uses already taken, a
mount path in use, a position's init container missing...), where the webhook would deny or
keep the pod's own value. For those the policy injects nothing, and a ValidatingAdmissionPolicy
beside it denies the pod with the reason: a pod is injected exactly as by the webhook, or
refused, never admitted different. docs/admission-policy.md has the whole story.
"""

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from krm_fn.admission_policy.objects import policies
from krm_fn.admission_policy.probe import PolicyError, compile_injection
from krm_fn.configfiles import ConfigDirError, ConfigSet, load_config_files
from krm_fn.engine.admission import admission_problem

DEFAULT_NAMESPACE_LABEL = ("krm-fn.dev/admission-policy", "enabled")


def compile_policies(
    configs: ConfigSet, name: str = "krm-fn", namespace_labels: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The policies and bindings that inject `configs` at admission, or PolicyError."""
    for instance in configs.instances:  # say which config does not compile, when one does not
        try:
            compile_injection(ConfigSet([instance], configs.files))
        except PolicyError as err:
            where = configs.files.get(instance.key, "")
            prefix = f"{where}: " if where else ""
            if str(err).startswith(instance.key):
                raise PolicyError(f"{prefix}{err}") from None
            raise PolicyError(f"{prefix}{instance.key}: {err}") from None
    injection = compile_injection(configs)
    labels = namespace_labels or dict([DEFAULT_NAMESPACE_LABEL])
    return policies(injection, name, configs.instances, labels)


def main(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn admission-policy CONFIG... [-o FILE] [--name NAME] [--namespace-label K=V]`."""
    from krm_fn.manifests.yamlio import dump_all

    parser = argparse.ArgumentParser(
        prog="krm-fn admission-policy",
        description="Compile configs to a MutatingAdmissionPolicy the API server applies "
        "itself, with the ValidatingAdmissionPolicy that refuses what it cannot inject exactly, "
        "and their bindings (docs/admission-policy.md).",
    )
    parser.add_argument("configs", nargs="+", metavar="CONFIG", help="config files, in order")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")
    parser.add_argument("--name", default="krm-fn", help="the policies' name (default krm-fn)")
    parser.add_argument(
        "--namespace-label",
        metavar="KEY=VALUE",
        action="append",
        help="namespaces with this label get the injection "
        f"(default {'='.join(DEFAULT_NAMESPACE_LABEL)}; repeat: all of them)",
    )
    try:
        options = parser.parse_args(list(argv))
    except SystemExit as exit:
        return int(exit.code or 0)
    labels: dict[str, str] = {}
    for pair in options.namespace_label or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"krm-fn admission-policy: --namespace-label {pair!r}: KEY=VALUE", file=stderr)
            return 2
        labels[key] = value
    try:
        named = [(path, path) for path in options.configs]
        configs = load_config_files(named, admission_problem)
        documents = compile_policies(configs, options.name, labels or None)
    except (ConfigDirError, PolicyError) as err:
        print(f"krm-fn admission-policy: {err}", file=stderr)
        return 1
    names = " ".join(options.configs)
    text = f"# Made by `krm-fn admission-policy {names}`: make it again after a change.\n"
    text += dump_all(documents)
    if options.output:
        with open(options.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
