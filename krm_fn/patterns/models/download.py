"""The config model of Download (docs and transform: krm_fn/patterns/download.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from krm_fn.patterns.download import check_download_file_name, check_sha256, check_url
from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.spec import (
    AbsolutePath,
    DnsLabel,
    DnsName,
    FileName,
    HttpUrl,
    ImageRef,
    Model,
)

AWS_REGION = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class S3(Model):
    """S3 settings."""

    region: str | None = Field(None, pattern=AWS_REGION, description="AWS region of the bucket.")
    endpoint: HttpUrl | None = Field(None, description="Endpoint of an S3-compatible store.")


class Spec(InitOptions):
    """A file fetched into a volume before the app starts."""

    url: Annotated[str, AfterValidator(check_url)] = Field(
        description="`https://`, `http://`, `s3://` or `gs://` URL of the file."
    )
    file: FileName | None = Field(None, description="File name; default the URL's last part.")
    sha256: Annotated[str | None, AfterValidator(check_sha256)] = Field(
        None, description="Expected SHA-256 (hex) of the file."
    )
    mount_path: AbsolutePath = Field(description="Where the app sees the file's directory.")
    volume_name: DnsLabel = Field("download", description="Name of the shared emptyDir.")
    size_limit: str | None = Field(None, description="sizeLimit of the emptyDir, e.g. `20Gi`.")
    credentials_secret_name: DnsName | None = Field(None, description="Secret with credentials.")
    s3: S3 = Field(default_factory=S3, description="S3 settings.")
    image: ImageRef | None = Field(
        None, description="Image; default a small one for the URL's scheme."
    )
    container_name: DnsLabel = Field("download", description="Name of the init container.")

    _file_name = model_validator(mode="after")(check_download_file_name)
