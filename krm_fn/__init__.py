"""krm-fn: Kubernetes multi-container pod patterns as a KRM function."""

__version__ = "0.1.0"
