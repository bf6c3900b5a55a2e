"""An auth manager for the tests that need a user who may not read a DAG.

SimpleAuthManager lets every role read every DAG, so on the stacks nobody lacks read access.
This one is SimpleAuthManager (same users, same tokens) except that the user :data:`OUTSIDER` may
read and edit no DAG at all. Tests start an extra API server of a stack with it
(``AIRFLOW__CORE__AUTH_MANAGER``); the stack's own servers keep SimpleAuthManager.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

OUTSIDER = "bob"
CLASS_PATH = f"{__name__}.NoDagsForTheOutsider"


class NoDagsForTheOutsider(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        if user.get_id() == OUTSIDER:
            return False
        return super().is_authorized_dag(
            method=method, user=user, access_entity=access_entity, details=details
        )
