"""The config model of VaultSecrets (docs and transform: krm_fn/patterns/vault_secrets.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.spec import (
    AbsolutePath,
    Argument,
    DnsLabel,
    DnsName,
    FileName,
    HttpUrl,
    ImageRef,
    Model,
    Position,
)
from krm_fn.patterns.vault_secrets import (
    SA_TOKEN,
    VAULT_PATH,
    check_complete,
    check_distinct_files,
    check_one,
)


class KubernetesAuth(Model):
    """Vault's Kubernetes auth method, with the pod's service account token."""

    role: str = Field(min_length=1, description="Vault role bound to the pod's service account.")
    mount: str = Field(
        "kubernetes", pattern=VAULT_PATH, description="Where the auth method is mounted in Vault."
    )
    token_path: AbsolutePath = Field(SA_TOKEN, description="Path of the service account token.")


class TokenAuth(Model):
    """A Vault token from a Kubernetes Secret."""

    secret_name: DnsName = Field(description="Secret holding the token.")
    key: FileName = Field("token", description="Key of the token in the Secret.")


class Auth(Model):
    """How the init container logs in to Vault: exactly one method."""

    kubernetes: KubernetesAuth | None = Field(None, description="Kubernetes auth.")
    token: TokenAuth | None = Field(None, description="Token auth.")

    _one = model_validator(mode="after")(check_one)


class SecretFile(Model):
    """One Vault path written to one file."""

    path: str = Field(pattern=VAULT_PATH, description="Vault path, e.g. `secret/my-secret`.")
    field: Argument | None = Field(None, description="Write this field's value; unset: the JSON.")
    file: FileName = Field(description="File name under mountPath, e.g. `my-secret`.")


class Spec(InitOptions):
    """Secrets fetched into memory before the app starts."""

    address: HttpUrl | None = Field(None, description="Vault address, e.g. `https://vault:8200`.")
    auth: Auth | None = Field(None, description="How to log in to Vault.")
    secrets: Annotated[list[SecretFile], AfterValidator(check_distinct_files)] = Field(
        default_factory=list, description="What to fetch."
    )
    namespace: str | None = Field(None, description="Vault namespace (VAULT_NAMESPACE).")
    ca_secret_name: DnsName | None = Field(
        None, description="Secret with `ca.crt` that signed Vault's TLS certificate."
    )
    command: list[str] | None = Field(
        None, description="Another secret store: this command writes the files instead."
    )
    image: ImageRef = Field("hashicorp/vault:1.17.6", description="Image of the init container.")
    container_name: DnsLabel = Field("vault-secrets", description="Name of the init container.")
    volume_name: DnsLabel = Field("secrets", description="Name of the in-memory volume.")
    mount_path: AbsolutePath = Field("/secrets", description="Where the app reads the files.")
    size_limit: str | None = Field(None, description="sizeLimit of the in-memory volume.")
    position: Position = Field(
        "first",
        description="Where the init container goes (first: before anything that needs them).",
    )

    _complete = model_validator(mode="after")(check_complete)
