"""`krm-fn webhook`: the patterns at admission time, a thin caller of the one core.

admission.py answers an AdmissionReview (pure: no I/O); server.py is the HTTPS server around
it; metrics.py its Prometheus metrics; certs.py writes a CA and a serving certificate. Nothing
outside this package imports it but the CLI's `webhook` command, and the KRM function's path
never does (tests/test_imports.py).
"""
