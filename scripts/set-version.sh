#!/usr/bin/env bash
# Set krm-fn's version: krm_fn/__init__.py (the one place the package reads it from), and the
# files that must name it literally: the image tag in Kptfiles, examples, docs and expected
# outputs, the Argo CD plugin's version, the webhook chart's version, and functions.yaml.
#   scripts/set-version.sh 0.2.0      (then commit, and tag v0.2.0 to release)
set -euo pipefail
cd "$(dirname "$0")/.."
new="${1:-}"
if ! [[ "$new" =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-]?(a|b|rc|dev|post)[0-9]+)?$ ]]; then
  echo "usage: $0 X.Y.Z (a PEP 440 release version; got '${new}')" >&2
  exit 2
fi
PYTHON="${PYTHON:-.venv/bin/python}"
old="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' krm_fn/__init__.py)"
quoted="${old//./\\.}"
git ls-files -z -- ':!tests/cases' | xargs -0 grep -lZF "localhost/krm-fn:$old" -- \
  | xargs -0 -r sed -i "s#localhost/krm-fn:$quoted\\b#localhost/krm-fn:$new#g"
git ls-files -z -- kustomization-examples/argocd-cmp-plugin README.md docs \
  | xargs -0 sed -i -e "s#krm-fn-v$quoted\\b#krm-fn-v$new#g" -e "s#version: v$quoted\$#version: v$new#"
sed -i "s/^__version__ = \".*\"$/__version__ = \"$new\"/" krm_fn/__init__.py
# the webhook's chart: its version is SemVer (0.2.0rc1 -> 0.2.0-rc1), its appVersion the image tag
semver="$(sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+)[.-]?((a|b|rc|dev|post)[0-9]+)$/\1-\2/' <<<"$new")"
sed -i -e "s/^version: .*/version: $semver/" -e "s/^appVersion: .*/appVersion: \"$new\"/" \
  charts/krm-fn-webhook/Chart.yaml
"$PYTHON" -m krm_fn definitions > functions.yaml
echo "version $old -> $new; tests/test_release.py checks that nothing names $old"
