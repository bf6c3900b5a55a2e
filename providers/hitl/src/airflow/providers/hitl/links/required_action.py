"""The "Required Action" extra link: from a waiting task instance's page straight to its request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.hitl.prepared_links import request_view_path
from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.models.taskinstancekey import TaskInstanceKey
    from airflow.sdk import BaseOperator


class RequiredActionLink(BaseOperatorLink):
    """
    Links a HITL task instance to its page in Required Actions.

    Airflow 3.0 stores an extra link's URL as an XCom when the task process ends, deferrals
    included, so the button is there while the task waits. The URL is absolute when
    ``[api] base_url`` is set (the link opens in a new tab, and is right behind a proxy).
    """

    name = "Required Action"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.configuration import conf

        base_url = conf.get("api", "base_url", fallback="").rstrip("/")
        return base_url + request_view_path(ti_key.dag_id, ti_key.run_id, ti_key.task_id, ti_key.map_index)
