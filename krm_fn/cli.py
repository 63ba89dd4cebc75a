"""The entry point: it picks the way in, and runs the two that start once per build.

The KRM function (a ResourceList on stdin) and kustomize's exec plugin stay light: no argparse
on their way. The commands for people are in commands/, the webhook in webhook/, Helm's
post-renderer in helm.py, Argo CD's generate in argocd.py; what they share is framework.py.
"""

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from krm_fn import __version__

HELP = f"""krm-fn {__version__}: Kubernetes multi-container pod patterns, as a KRM function.

Usage:
  krm-fn < resource-list.yaml          KRM function: a ResourceList on stdin and stdout
                                       (kpt fn eval --exec, Kptfile exec:/image:, kustomize)
  krm-fn run CONFIG [FILE|DIR|-]...    apply CONFIG to YAML files and print the result
         [--diff] [--strict] [-o DIR | --in-place]   (-c CONFIG, repeated: several, in order)
         [--fail-on-warnings] [-n NS] [--results json|yaml]
  krm-fn check CONFIG [FILE|DIR|-]...  exit 1, listing each resource, if CONFIG would change them
  krm-fn uninject [FILE|DIR|-]...      remove every recorded injection (--config: one config's)
  krm-fn validate CONFIG...            check configs without manifests
  krm-fn explain KIND[.field.path]     documentation of a kind or a field
  krm-fn audit CONFIG_OR_DIR... [-A]   which running pods are current, stale, missing or
                                       unverifiable (pip install krm-fn[audit])
  krm-fn init KIND                     a commented config skeleton
  krm-fn schema KIND                   JSON Schema of a kind's config (for editors)
  krm-fn definitions                   the function catalog (functions.yaml)
  krm-fn completion bash|zsh|fish      a shell completion script
  krm-fn install-plugins DIR           legacy kustomize exec plugins for every kind, for
                                       KUSTOMIZE_PLUGIN_HOME=DIR kubectl kustomize
                                       --enable-alpha-plugins
  krm-fn plugin CONFIG                 legacy kustomize exec plugin mode (kustomize runs it)
  krm-fn helm-plugin DIR               a Helm 4 post-renderer plugin: helm plugin install DIR,
                                       then --post-renderer krm-fn --post-renderer-args CONFIG
  krm-fn helm-post-render CONFIG ...   `run` as that plugin runs it (Helm 4 runs it)
  krm-fn argocd-generate               the Argo CD plugin's generate (argocd-cmp-server runs it)
  krm-fn argocd-sidecar CMD [ARG]...   a warm krm-fn for it, then CMD (argocd-cmp-server)
  krm-fn webhook --config-dir DIR      the same patterns at admission: a mutating admission
         --tls-cert-file F --tls-key-file F   webhook (pip install krm-fn[webhook])
  krm-fn admission-policy CONFIG...    the same patterns as a MutatingAdmissionPolicy the API
         [-o FILE] [--namespace-label K=V]    server applies itself: no webhook to run
  krm-fn COMMAND --help | --help | --version

Config: apiVersion: krm-fn.dev/v1alpha1, one kind per pattern (krm-fn explain KIND), fields
under spec; PodPatterns applies several in order.
Exit codes: 0 success; 1 errors in the input, the configs or the results, or differences
(--diff, check); 2 usage errors.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `krm-fn` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["webhook"]:  # a long-lived server: none of the one-shot settings below
        from krm_fn.webhook.command import main as webhook

        return webhook(args[1:], sys.stdout, sys.stderr)
    if args[:1] == ["helm-post-render"]:  # Helm 4's post-renderer plugin: `run`, errors shown
        from krm_fn.helm import post_render

        return post_render(args[1:], lambda run_args: main(["run", *run_args]))
    if args[:1] == ["admission-policy"]:  # configs compiled for the API server itself
        from krm_fn.admission_policy import main as admission_policy

        return admission_policy(args[1:], sys.stdout, sys.stderr)
    if args[:1] == ["argocd-generate"]:  # the Argo CD plugin's generate: settings from Argo CD
        from krm_fn.argocd_generate import main as argocd_generate

        return argocd_generate(args[1:])
    if args[:1] == ["argocd-sidecar"]:  # the warm process for it, then argocd-cmp-server
        from krm_fn.argocd_sidecar import main as argocd_sidecar

        return argocd_sidecar(args[1:], sys.stdout, sys.stderr)
    import gc

    from krm_fn import framework  # the ways in above read nothing of it: none of its imports

    gc.disable()  # one short run over a big tree of dicts: the cyclic collector only costs time
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # no scan of installed packages
    return framework.guarded(lambda: _dispatch(args, sys.stdin, sys.stdout, sys.stderr), sys.stderr)


def _dispatch(args: list[str], stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from krm_fn import framework
    from krm_fn.manifests import yamlio

    reader = framework.Reader()
    if not args:
        if stdin.isatty():
            stdout.write(HELP)
            return 0
        text = reader.stream(stdin, "stdin")
        if not text.strip():
            raise yamlio.InputError("stdin is empty: expected a ResourceList (see krm-fn --help)")
        output, code = framework.run_resource_list(text, stderr)
        stdout.write(output)
        return code
    command, rest = args[0], args[1:]
    if command in ("-h", "--help", "help"):
        stdout.write(HELP)
        return 0
    if command == "--version":
        stdout.write(f"krm-fn {__version__}\n")
        return 0
    if command == "plugin" and len(rest) == 1 and not rest[0].startswith("-"):
        # kustomize runs this once per build: no argparse on the way
        return framework.plugin_command(rest[0], stdin, stdout, stderr)
    from krm_fn import commands

    return commands.main(args, stdin, stdout, stderr)
