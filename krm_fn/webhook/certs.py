"""`krm-fn webhook certs`: a CA and a serving certificate for the webhook's Service.

Without cert-manager: the API server checks the webhook's certificate against the
MutatingWebhookConfiguration's `caBundle`, which is the CA printed here (base64).
"""

import base64
import datetime
import ipaddress
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def names_for(service: str, namespace: str, extra: list[str]) -> list[x509.GeneralName]:
    """The names the API server may use to reach the Service, and any extra names or IPs."""
    dns = [service, f"{service}.{namespace}", f"{service}.{namespace}.svc"]
    dns.append(f"{service}.{namespace}.svc.cluster.local")
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns]
    for name in extra:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def _certificate(
    subject: x509.Name, issuer: x509.Name, key: Any, signer: Any, days: int, extensions: list[Any]
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, hashes.SHA256())


def write(directory: Path, service: str, namespace: str, days: int, extra: list[str]) -> str:
    """Write ca.crt, tls.crt and tls.key (mode 0600) into directory; return the caBundle."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    unique = os.urandom(4).hex()  # two CAs may be trusted at once while one replaces the other
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"krm-fn webhook CA {unique}")])
    signing = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    ca = _certificate(
        ca_name,
        ca_name,
        ca_key,
        ca_key,
        days,
        [(x509.BasicConstraints(ca=True, path_length=0), True), (signing, True)],
    )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{service}.{namespace}.svc")])
    serving = _certificate(
        subject,
        ca_name,
        key,
        ca_key,
        days,
        [
            (x509.SubjectAlternativeName(names_for(service, namespace, extra)), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
        ],
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    _replace(directory / "ca.crt", ca_pem, 0o644)
    _replace(directory / "tls.crt", serving.public_bytes(serialization.Encoding.PEM), 0o644)
    _replace(directory / "tls.key", _pem_key(key), 0o600)
    return base64.b64encode(ca_pem).decode()


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write a file whole, never wider than `mode` and never through a link.

    A new file is made with its mode, then renamed over the old name: a link there is replaced,
    not followed.
    """
    temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, mode)
    try:
        os.fchmod(descriptor, mode)  # the umask may have narrowed it; never widened
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
