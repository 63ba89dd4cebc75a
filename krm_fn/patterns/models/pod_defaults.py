"""The config model of PodDefaults (docs and transform: krm_fn/patterns/pod_defaults.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.patterns.models.spec import EnvFromSource, EnvVar, PatternSpec, Volume, VolumeMount
from krm_fn.patterns.pod_defaults import check_keys, check_label_values


class Spec(PatternSpec):
    """Metadata, env and volumes every selected pod gets."""

    labels: Annotated[
        Annotated[dict[str, str], AfterValidator(check_keys)], AfterValidator(check_label_values)
    ] = Field(default_factory=dict, description="Pod template labels.")
    annotations: Annotated[dict[str, str], AfterValidator(check_keys)] = Field(
        default_factory=dict, description="Pod template annotations."
    )
    env: list[EnvVar] = Field(default_factory=list, description="Env vars for the app containers.")
    env_from: list[EnvFromSource] = Field(
        default_factory=list,
        description="envFrom sources (ConfigMaps, Secrets) for the app containers.",
    )
    volumes: list[Volume] = Field(default_factory=list, description="Pod volumes.")
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list, description="Mounts added to the app containers."
    )
