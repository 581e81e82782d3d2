"""Where the Runpod services live: the official CLI's URL variables, defaults and validation.

``runpod_flash/core/urls.py`` reads the same variables: ``RUNPOD_API_BASE_URL`` (GraphQL at
``{base}/graphql``), ``RUNPOD_REST_API_URL``, ``RUNPOD_ENDPOINT_BASE_URL`` (the data plane, where
deployed endpoints answer) and ``RUNPOD_CONSOLE_URL`` (or the deprecated ``CONSOLE_BASE_URL``).
Empty values count as unset; anything but an http(s) URL with a host is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_API_URL = "https://api.runpod.io"
DEFAULT_REST_API_URL = "https://rest.runpod.io/v1"
DEFAULT_ENDPOINT_URL = "https://api.runpod.ai/v2"
DEFAULT_CONSOLE_URL = "https://console.runpod.io"


class InvalidUrl(ValueError):
    """A URL variable that is not an http(s) URL with a host."""


@dataclass(frozen=True)
class ApiUrls:
    """The base URLs of the control plane, its REST subset, the data plane and the console."""

    api: str = DEFAULT_API_URL
    rest: str = DEFAULT_REST_API_URL
    endpoints: str = DEFAULT_ENDPOINT_URL
    console: str = DEFAULT_CONSOLE_URL

    @property
    def graphql(self) -> str:
        return f"{self.api}/graphql"

    @property
    def endpoint_domain(self) -> str:
        """Host (and port) of the data plane: load-balanced endpoints answer on a subdomain."""
        return urlparse(self.endpoints).netloc

    def queue_url(self, endpoint_id: str) -> str:
        """Base URL of a queue-based endpoint (``/run``, ``/runsync`` ... below it)."""
        return f"{self.endpoints}/{endpoint_id}"

    def load_balancer_url(self, endpoint_id: str) -> str:
        """Base URL of a load-balanced endpoint (its routes below it)."""
        return f"https://{endpoint_id}.{self.endpoint_domain}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ApiUrls:
        """The URLs the official CLI would use with these environment variables.

        Raises ``InvalidUrl`` for a value that is not an http(s) URL with a host.
        """
        return cls(
            api=_url(environ, "RUNPOD_API_BASE_URL", DEFAULT_API_URL),
            rest=_url(environ, "RUNPOD_REST_API_URL", DEFAULT_REST_API_URL),
            endpoints=_url(environ, "RUNPOD_ENDPOINT_BASE_URL", DEFAULT_ENDPOINT_URL),
            console=_url(
                environ, "RUNPOD_CONSOLE_URL", DEFAULT_CONSOLE_URL, legacy="CONSOLE_BASE_URL"
            ),
        )


def _url(environ: Mapping[str, str], name: str, default: str, legacy: str | None = None) -> str:
    for variable in (name, legacy):
        if variable is None:
            continue
        value = environ.get(variable, "").strip()
        if value:
            return _validated(value, variable)
    return default


def _validated(value: str, variable: str) -> str:
    stripped = value.rstrip("/")
    parsed = urlparse(stripped)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidUrl(f"{variable}={value!r} is not an http(s) URL with a host")
    try:
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidUrl(f"{variable}={value!r} has a malformed port") from None
    return stripped
