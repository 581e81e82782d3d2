"""What the Runpod API answers, as pydantic models (field names as the API spells them, in
snake case; unknown fields are ignored so a newer API does not break flash-ls)."""

from __future__ import annotations

from typing import Any

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Base of the API models: camelCase aliases, extra fields ignored."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel),
        populate_by_name=True,
        extra="ignore",
    )


class EndpointRef(ApiModel):
    """An endpoint as an environment lists it."""

    id: str
    name: str | None = None


class NetworkVolumeRef(ApiModel):
    """A network volume as an environment lists it."""

    id: str
    name: str | None = None


class FlashBuildInfo(ApiModel):
    """A build of an app (an uploaded artifact and its manifest)."""

    id: str
    object_key: str | None = None
    created_at: str | None = None
    manifest: dict[str, Any] | None = None


class FlashEnvironment(ApiModel):
    """A deployment environment of an app."""

    id: str
    name: str
    state: str | None = None
    active_build_id: str | None = None
    created_at: str | None = None
    endpoints: list[EndpointRef] = Field(default_factory=list)
    network_volumes: list[NetworkVolumeRef] = Field(default_factory=list)


class FlashApp(ApiModel):
    """A Flash app: its environments and builds."""

    id: str
    name: str
    flash_environments: list[FlashEnvironment] = Field(default_factory=list)
    flash_builds: list[FlashBuildInfo] = Field(default_factory=list)

    def environment(self, name: str) -> FlashEnvironment | None:
        return next((e for e in self.flash_environments if e.name == name), None)


class ArtifactUpload(ApiModel):
    """Where to PUT the artifact (a presigned URL: a secret until it expires)."""

    upload_url: str
    object_key: str
    expires_at: str | None = None


class TemplateEnvVar(ApiModel):
    key: str
    value: str | None = None


class PodTemplateInfo(ApiModel):
    """A pod template as ``getTemplate``/``saveTemplate`` answer it."""

    id: str
    name: str | None = None
    image_name: str | None = None
    container_disk_in_gb: int | None = None
    docker_args: str | None = None
    env: list[TemplateEnvVar] = Field(default_factory=list)
    readme: str | None = None


class SavedEndpoint(ApiModel):
    """What ``saveEndpoint`` answers (the fields flash-ls reads)."""

    id: str
    name: str | None = None
    template_id: str | None = None
    ai_key: str | None = None
    type: str | None = None
    version: int | None = None


class NetworkVolume(ApiModel):
    """A network volume as the REST API lists it."""

    id: str
    name: str | None = None
    size: int | None = None
    data_center_id: str | None = None
