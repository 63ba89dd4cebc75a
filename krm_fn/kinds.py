"""The kinds of krm-fn config and the module of each: what the light ways in need to know.

Imports nothing, so that Argo CD's generate can check the exec plugins it hands kustomize (one per
kind) before any YAML or core is loaded.
"""

API_VERSION = "krm-fn.dev/v1alpha1"
BUNDLE_KIND = "PodPatterns"
BUNDLE_EXAMPLE = "all-workload-kinds"  # the example that shows PodPatterns

# kind -> module with the transform and the pattern's facts (`Pattern`); its config model is the
# module of the same name under krm_fn.patterns.models (pydantic: imported only for docs, schemas
# and error reports). A module is imported only when a config uses its kind.
PATTERNS: dict[str, str] = {
    "Sidecar": "krm_fn.patterns.sidecar",
    "InitContainer": "krm_fn.patterns.init_container",
    "PodDefaults": "krm_fn.patterns.pod_defaults",
    "LogTailer": "krm_fn.patterns.log_tailer",
    "Adapter": "krm_fn.patterns.adapter",
    "Ambassador": "krm_fn.patterns.ambassador",
    "Sysctl": "krm_fn.patterns.sysctl",
    "VaultSecrets": "krm_fn.patterns.vault_secrets",
    "GitClone": "krm_fn.patterns.git_clone",
    "Download": "krm_fn.patterns.download",
    "Migration": "krm_fn.patterns.migration",
    "WaitFor": "krm_fn.patterns.wait_for",
    "GracefulShutdown": "krm_fn.patterns.graceful_shutdown",
    "ConfigReloader": "krm_fn.patterns.config_reloader",
    "LocalCache": "krm_fn.patterns.local_cache",
    "PodResources": "krm_fn.patterns.pod_resources",
}
KINDS = [*PATTERNS, BUNDLE_KIND]
