"""Manifests in and out: YAML as Kubernetes tools read it, and KRM results.

yamlio.py loads and dumps YAML (libyaml); sources.py reads files as kpt does; comments.py and
splice.py write a changed document keeping its comments and the text krm-fn did not change;
results.py is the results list of the KRM Functions Specification.
"""
