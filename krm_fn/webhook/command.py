"""The `krm-fn webhook` command line: serve, or write certificates."""

import argparse
from pathlib import Path
from typing import TextIO

USAGE = """krm-fn webhook --config-dir DIR --tls-cert-file CERT --tls-key-file KEY
                     [--port 8443] [--metrics-port 8080] [--workers 2]
                     [--answer-cache-mb 32]
krm-fn webhook certs --service NAME --namespace NS --dir DIR [--days 365] [--name NAME]..."""


def main(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run `krm-fn webhook ARGS`; usage errors exit 2, as argparse does."""
    if args[:1] == ["certs"]:
        return _certs(args[1:], stdout)
    parser = argparse.ArgumentParser(
        prog="krm-fn webhook",
        usage=USAGE,
        description="Apply krm-fn configs to pods at admission: a mutating admission webhook. "
        "POST /mutate over HTTPS; /healthz, /readyz and /metrics over HTTP on the metrics port.",
    )
    parser.add_argument("--config-dir", required=True, help="the configs (a mounted ConfigMap)")
    parser.add_argument("--tls-cert-file", required=True, help="serving certificate (PEM)")
    parser.add_argument("--tls-key-file", required=True, help="its private key (PEM)")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port (default 8443)")
    parser.add_argument("--metrics-port", type=int, default=8080, help="health and metrics port")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument(
        "--answer-cache-mb",
        type=int,
        default=32,
        help="memory per worker for answers given again to pods in the same bytes, as a "
        "ReplicaSet's are (default 32; 0 works out every review)",
    )
    options = parser.parse_args(args)
    if options.workers < 1:
        parser.error("--workers must be at least 1")
    if options.answer_cache_mb < 0:
        parser.error("--answer-cache-mb must be 0 or more")
    from krm_fn.webhook.server import Options, serve

    return serve(
        Options(
            options.config_dir,
            options.tls_cert_file,
            options.tls_key_file,
            options.port,
            options.metrics_port,
            options.workers,
            options.host,
            options.answer_cache_mb,
        )
    )


def _certs(args: list[str], stdout: TextIO) -> int:
    parser = argparse.ArgumentParser(
        prog="krm-fn webhook certs",
        description="Write a CA (ca.crt) and a serving certificate (tls.crt, tls.key) for the "
        "webhook's Service, and print the CA as the caBundle of the MutatingWebhookConfiguration "
        "(base64). Without cert-manager; rotate by running it again.",
    )
    parser.add_argument("--service", required=True, help="the webhook's Service name")
    parser.add_argument("--namespace", required=True, help="its namespace")
    parser.add_argument("--dir", required=True, help="where to write the files")
    parser.add_argument("--days", type=int, default=365, help="validity (default 365)")
    parser.add_argument("--name", action="append", default=[], help="another DNS name or IP")
    options = parser.parse_args(args)
    from krm_fn.webhook.certs import write

    bundle = write(
        Path(options.dir), options.service, options.namespace, options.days, options.name
    )
    stdout.write(bundle + "\n")
    return 0
