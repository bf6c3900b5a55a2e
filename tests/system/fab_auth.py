"""The FAB auth manager on a test stack: its users, roles and permissions.

A stack with ``auth_manager="fab"`` runs Airflow with the FAB provider's auth manager. ``airflow db
migrate`` creates FAB's tables (Airflow adds the auth manager's DB manager to the external ones by
itself). Then one process, through FAB's own security manager (what ``airflow roles create``,
``airflow roles add-perms`` and ``airflow users create`` do, in one start-up of the FAB app instead
of one per command), creates the roles below and the users, in the order of :data:`FAB_USERS`: in a
fresh database FAB numbers its users from 1 in that order, so a DAG file can assign a request to a
FAB user id (:func:`fab_user_id`). The stack's first user is created with ``airflow users create``,
the command the manual documents.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

# The one DAG the role "Team A" may read and edit (tests/system/dags/hitl_fab_dags.py).
TEAM_A_DAG = "hitl_fab_team_a"

# FAB's "can edit on Configurations": what makes a HITL admin (airflow.hitl.services.permissions.is_admin).
HITL_ADMIN_PERMISSION = ("can_edit", "Configurations")

# Roles of our own -> their permissions (action, resource). FAB adds "can read on Website" to every
# custom role when the API server starts.
FAB_ROLES: dict[str, list[tuple[str, str]]] = {
    # No permission at all: a name a responder group follows (follows_role).
    "Approvers": [],
    # One DAG only: reads and answers its requests, nothing of any other DAG.
    "Team A": [
        ("can_read", f"DAG:{TEAM_A_DAG}"),
        ("can_edit", f"DAG:{TEAM_A_DAG}"),
        ("can_read", "DAG Runs"),
        ("can_edit", "DAG Runs"),
        ("can_read", "Task Instances"),
        ("can_edit", "Task Instances"),
    ],
    # HITL admins whose role is not called admin.
    "Release leads": [HITL_ADMIN_PERMISSION],
    # Called admin, but without the permission: not a HITL admin.
    "HITL admins in name only": [],
}

# User -> roles, in the order FAB numbers them (ids 1, 2, ...). "admin" has Airflow's Admin role
# plus the HITL admin permission, granted to that role.
FAB_USERS: dict[str, tuple[str, ...]] = {
    "admin": ("Admin",),
    "viewer": ("Viewer",),
    "editor": ("User",),
    "op": ("Op",),
    "carol": ("Viewer", "Approvers"),
    "dana": ("Team A",),
    "lead": ("Viewer", "Release leads"),
    "nominal": ("Viewer", "HITL admins in name only"),
    "erin": ("Viewer",),
    # Users with edit access who answer side by side in the fault tests (tests/system/test_faults.py).
    "racer01": ("User",),
    "racer02": ("User",),
}


def fab_user_id(name: str) -> str:
    """The FAB user id (``User.get_id()``, as the API shows it) of a test user."""
    return str(list(FAB_USERS).index(name) + 1)


def fab_password(name: str) -> str:
    return f"{name}-fab-password"


# Runs in the stack's environment: FAB's application builder, as FAB's own CLI commands use it.
_CREATE_ROLES_AND_USERS = """
import json, sys
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

spec = json.loads(sys.argv[1])
with get_application_builder() as appbuilder:
    sm = appbuilder.sm
    for role_name, permissions in spec["roles"].items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        for action, resource in permissions:
            sm.add_permission_to_role(role, sm.create_permission(action, resource))
    for name, roles in spec["users"].items():
        if sm.find_user(username=name) is not None:
            continue
        user = sm.add_user(
            username=name,
            first_name=name.title(),
            last_name="Test",
            email=f"{name}@example.com",
            role=[sm.find_role(role) for role in roles],
            password=spec["passwords"][name],
        )
        if not user:
            sys.exit(f"FAB did not create user {name}")
    print(json.dumps({u.username: u.id for u in sm.get_all_users()}))
"""


def create_fab_users(stack: AirflowStack) -> dict[str, str]:
    """Roles and users of :data:`FAB_ROLES` and :data:`FAB_USERS` on a migrated stack; passwords."""
    passwords = {name: fab_password(name) for name in FAB_USERS}
    first, *_ = FAB_USERS
    stack.run_airflow(
        "users", "create", "--username", first, "--password", passwords[first],
        "--firstname", first.title(), "--lastname", "Test", "--email", f"{first}@example.com",
        "--role", FAB_USERS[first][0],
    )  # fmt: skip
    roles = {**FAB_ROLES, "Admin": [HITL_ADMIN_PERMISSION]}
    spec = {"roles": roles, "users": FAB_USERS, "passwords": passwords}
    ids = json.loads(stack.run_python(_CREATE_ROLES_AND_USERS, json.dumps(spec)).strip().splitlines()[-1])
    expected = {name: int(fab_user_id(name)) for name in FAB_USERS}
    if ids != expected:
        raise RuntimeError(f"FAB numbered the test users {ids}, the DAG files expect {expected}")
    return passwords
