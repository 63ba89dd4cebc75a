"""The engine: one run of configs over resources (core.py), and what it is made of.

config.py turns configs into pattern instances; core.py undoes and injects again, pod by pod;
pod_checks.py checks a pod around its injection; generated.py keeps what patterns generate;
service_records.py keeps the records of the Services they change; undo.py takes back what a
record names, verified; order.py keeps key order across re-runs.
"""
