"""What krm-fn knows about Kubernetes, and nothing of krm-fn's own.

Where pod templates live (workloads.py), which Services select them (services.py), selectors
(selection.py), quantities (quantities.py), Pod Security (podsecurity.py), what the API server
fills in (defaults.py), the shapes it accepts (shapes.py), complete containers (containers.py).
"""
