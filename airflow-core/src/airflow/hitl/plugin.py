"""The Airflow plugin that wires the feature into Airflow 3.0's API server."""

from __future__ import annotations

from functools import cached_property

from airflow.hitl.api.login_handover import FabLoginHandoverMiddleware
from airflow.hitl.api.middleware import HITLRoutesMiddleware
from airflow.hitl.api.nav_entry import NavEntryMiddleware
from airflow.hitl.api.ui_serving import RequiredActionsUIMiddleware
from airflow.plugins_manager import AirflowPlugin


def _plugin_app():
    from airflow.hitl.api.app import create_plugin_app

    return create_plugin_app()


class HITLPlugin(AirflowPlugin):
    """Human-in-the-loop: REST routes under ``/api/v2``, the feature's app under ``/hitl`` and the
    Required Actions web UI at ``/required_actions``."""

    name = "hitl"
    fastapi_root_middlewares = [
        {"middleware": HITLRoutesMiddleware, "name": "hitl-routes"},
        # The web UI at /required_actions, and its entry in the Airflow UI's navigation bar.
        {"middleware": RequiredActionsUIMiddleware, "name": "hitl-required-actions-ui"},
        {"middleware": NavEntryMiddleware, "name": "hitl-nav-entry"},
        # The Airflow UI's token for those pages and the link page, after the FAB auth manager's login.
        {"middleware": FabLoginHandoverMiddleware, "name": "hitl-fab-login-handover"},
    ]

    @cached_property
    def fastapi_apps(self):  # type: ignore[override]
        # Built on first use, in the API server only (other components never ask for it).
        return [{"app": _plugin_app(), "url_prefix": "/hitl", "name": "Human-in-the-loop"}]
