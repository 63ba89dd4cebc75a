#!/usr/bin/env bash
# Fails when the git work tree has changes or untracked files that are not ignored.
set -euo pipefail
changes="$(git status --porcelain --untracked-files=all)"
if [ -n "$changes" ]; then
  echo "the tests changed the tree (golden files rewritten? generated files not ignored?):" >&2
  echo "$changes" >&2
  exit 1
fi
