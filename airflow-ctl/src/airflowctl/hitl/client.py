"""A small client for the HITL REST API (``/api/v2/...hitlDetails`` and ``/api/v2/hitl/groups``).

Every refused call becomes a :class:`~airflowctl.hitl.errors.CLIError` carrying the server's own
message and the exit code for its status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from airflowctl.hitl import __version__
from airflowctl.hitl.errors import CLIError, ExitCode, server_error

if TYPE_CHECKING:
    from airflowctl.hitl.login import Login

# Answers sent from here are recorded with this channel (the API's X-HITL-Channel header).
CHANNEL = "cli"


def _segment(value: str | int) -> str:
    """A path segment: run ids may hold ':' and '+', which must reach the server unchanged."""
    return quote(str(value), safe="")


def task_path(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """The API path of one task instance's request."""
    return (
        f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/taskInstances/"
        f"{_segment(task_id)}/{map_index}/hitlDetails"
    )


class HITLClient:
    """Calls the HITL routes of one Airflow API server as the logged-in user."""

    def __init__(self, login: Login, timeout: float = 30) -> None:
        self.api_url = login.api_url
        self.http = httpx.Client(
            base_url=f"{login.api_url}/api/v2",
            headers={
                "Authorization": f"Bearer {login.token}",
                "User-Agent": f"airflowctl-hitl/{__version__}",
            },
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HITLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, action: str, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise CLIError(
                f"{action}: cannot reach the API server at {self.api_url} ({err}); "
                "check that it runs and that `airflowctl auth login --api-url` points at it",
                ExitCode.UNREACHABLE,
            ) from err
        if response.is_success:
            return response.json() if response.content else None
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text.strip()
        raise server_error(response.status_code, detail, action)

    # Requests

    def list_requests(self, params: dict[str, Any], dag_id: str = "~", run_id: str = "~") -> dict[str, Any]:
        """``GET /dags/{dag_id}/dagRuns/{run_id}/hitlDetails`` (``~``: any) with the given filters."""
        path = f"/dags/{_segment(dag_id)}/dagRuns/{_segment(run_id)}/hitlDetails"
        return self._call("list", "GET", path, params=params)

    def counts(self) -> dict[str, int]:
        """Requests per status and those pending for the caller."""
        return self._call("counts", "GET", "/hitl/counts")

    def get_request(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int | None = None
    ) -> dict[str, Any]:
        """One task instance's request (its latest try, or ``try_number``)."""
        path = task_path(dag_id, run_id, task_id, map_index)
        if try_number is not None:
            path += f"/tries/{try_number}"
        return self._call("show", "GET", path)

    def respond(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int,
        chosen_options: list[str],
        params_input: dict[str, Any],
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Answer a request; the server validates and records it, or says why not."""
        body: dict[str, Any] = {"chosen_options": chosen_options, "params_input": params_input}
        if comment is not None:
            body["comment"] = comment
        return self._call(
            "respond",
            "PATCH",
            task_path(dag_id, run_id, task_id, map_index),
            json=body,
            headers={"X-HITL-Channel": CHANNEL},
        )

    # Responder groups

    def list_groups(self) -> dict[str, Any]:
        return self._call("groups list", "GET", "/hitl/groups")

    def get_group(self, name: str) -> dict[str, Any]:
        return self._call("groups show", "GET", f"/hitl/groups/{_segment(name)}")

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("groups create", "POST", "/hitl/groups", json=body)

    def delete_group(self, name: str) -> None:
        self._call("groups delete", "DELETE", f"/hitl/groups/{_segment(name)}")

    def add_member(self, name: str, user_id: str) -> dict[str, Any]:
        return self._call(
            "groups add-member", "PUT", f"/hitl/groups/{_segment(name)}/members/{_segment(user_id)}"
        )

    def remove_member(self, name: str, user_id: str) -> dict[str, Any]:
        return self._call(
            "groups remove-member", "DELETE", f"/hitl/groups/{_segment(name)}/members/{_segment(user_id)}"
        )
