"""The station's side of the hub's API: fetch the access list (ETag, long poll), post events."""

from __future__ import annotations

from typing import Any

import requests


class HubUnavailable(Exception):
    """The hub could not be reached, or answered something that is not the API."""


class HubClient:
    def __init__(
        self, url: str, token: str, timeout: float = 10.0, ca_file: str | None = None
    ) -> None:
        """`ca_file`: the authority that signed the hub's certificate (Caddy's own, on the
        fablab's network), trusted for this hub only; the system's when None."""
        self.url, self.timeout = url.rstrip("/"), timeout
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"
        # Given with each request: a session's own setting loses to REQUESTS_CA_BUNDLE.
        self._verify: str | bool = str(ca_file) if ca_file is not None else True

    def access_list(self, etag: str | None, wait: int) -> tuple[int, Any, str | None]:
        """(200, body, etag) when changed, (304, None, etag) when not; long-polls `wait` s."""
        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = self._http.get(
                f"{self.url}/api/v1/access-list",
                params={"wait": wait} if etag and wait else None,
                headers=headers,
                timeout=self.timeout + wait,
                verify=self._verify,
            )
        except requests.RequestException as error:
            raise HubUnavailable(f"hub unreachable: {error}") from None
        if response.status_code == 304:
            return 304, None, etag
        return 200, self._json(response), response.headers.get("ETag")

    def post_events(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            response = self._http.post(
                f"{self.url}/api/v1/events",
                json={"events": events},
                timeout=self.timeout,
                verify=self._verify,
            )
        except requests.RequestException as error:
            raise HubUnavailable(f"hub unreachable: {error}") from None
        body = self._json(response)
        if not all(
            isinstance(body.get(key), list) for key in ("accepted", "duplicates", "rejected")
        ):
            raise HubUnavailable("the hub's answer to a batch is not a batch result")
        return body

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if response.status_code != 200:
            raise HubUnavailable(f"hub answered {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise HubUnavailable("the hub answered something that is not JSON") from None
        if not isinstance(body, dict):
            raise HubUnavailable("the hub answered JSON that is not an object")
        return body

    def close(self) -> None:
        self._http.close()
