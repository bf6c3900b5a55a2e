"""Specification of ``permissions``: HITL admins are whom the auth manager lets change the ``[hitl]``
configuration, whatever their roles are called; role names are data for ``follows_role`` only."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from airflow.api_fastapi.auth.managers.models.resource_details import ConfigurationDetails
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.hitl.models import HITLGroup, HITLGroupMember, HITLRequest
from airflow.hitl.models.base import metadata
from airflow.hitl.services import permissions
from airflow.hitl.services.permissions import Decision, decide_responder, is_admin, user_roles
from airflow.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Iterator


def fab_user(user_id: str, *role_names: str, perms: set[tuple[str, str]] = frozenset()) -> Any:
    """A user shaped like FAB's: ``.roles`` with a ``.name`` each, ``.perms`` (action, resource)."""
    return SimpleNamespace(
        get_id=lambda: user_id, roles=[SimpleNamespace(name=name) for name in role_names], perms=set(perms)
    )


class FabLikeAuthManager:
    """Answers as FAB's auth manager does: a call is allowed when the user's roles hold the
    permission it maps to (configuration PUT: ``can_edit`` on ``Configurations``); DAGs are
    readable by all. Records the configuration calls."""

    def __init__(self) -> None:
        self.configuration_calls: list[dict[str, Any]] = []

    def is_authorized_configuration(self, *, method: str, user: Any, details: Any = None) -> bool:
        self.configuration_calls.append({"method": method, "details": details, "user": user})
        action = {"GET": "can_read", "PUT": "can_edit"}[method]
        return (action, "Configurations") in user.perms

    def is_authorized_dag(
        self, *, method: str, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        return method == "GET"


@pytest.fixture
def fab(monkeypatch: pytest.MonkeyPatch) -> FabLikeAuthManager:
    manager = FabLikeAuthManager()
    monkeypatch.setattr(permissions, "get_auth_manager", lambda: manager)
    return manager


@pytest.fixture
def simple(monkeypatch: pytest.MonkeyPatch) -> SimpleAuthManager:
    manager = SimpleAuthManager()
    monkeypatch.setattr(permissions, "get_auth_manager", lambda: manager)
    return manager


@pytest.fixture
def session() -> Iterator[Session]:
    """The feature's group tables in an in-memory SQLite database, with no groups."""
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=[HITLGroup.__table__, HITLGroupMember.__table__])
    with Session(engine) as session:
        yield session


EDIT_CONFIGURATION = ("can_edit", "Configurations")


def request_for_alice() -> HITLRequest:
    return HITLRequest(dag_id="budget", assigned_users=[{"id": "alice", "name": "Alice"}], assigned_groups=[])


class TestIsAdminAsksTheAuthManager:
    def test_one_configuration_put_call_on_the_hitl_section_decides(self, fab: FabLikeAuthManager) -> None:
        user = fab_user("ann", "Ops", perms={EDIT_CONFIGURATION})
        assert is_admin(user) is True
        assert fab.configuration_calls == [
            {"method": "PUT", "details": ConfigurationDetails(section="hitl"), "user": user}
        ]

    def test_a_role_not_named_admin_holding_the_permission_is_admin(self, fab: FabLikeAuthManager) -> None:
        assert is_admin(fab_user("ann", "release-managers", perms={EDIT_CONFIGURATION})) is True

    @pytest.mark.parametrize("roles", [("Admin",), ("admin", "Viewer"), ("NotAdmin", "dag_admin")])
    def test_a_role_named_admin_without_the_permission_is_not_admin(
        self, fab: FabLikeAuthManager, roles: tuple[str, ...]
    ) -> None:
        assert is_admin(fab_user("bob", *roles, perms={("can_read", "Configurations")})) is False


class TestSimpleAuthManagerRoles:
    """The real SimpleAuthManager: ``op`` and ``admin`` may change the configuration."""

    @pytest.mark.parametrize(
        ("role", "admin"), [("viewer", False), ("user", False), ("op", True), ("admin", True)]
    )
    def test_who_is_admin(self, simple: SimpleAuthManager, role: str, admin: bool) -> None:
        assert is_admin(SimpleAuthManagerUser(username="u", role=role)) is admin

    def test_a_user_without_role_is_not_admin(self, simple: SimpleAuthManager) -> None:
        assert is_admin(SimpleAuthManagerUser(username="u", role=None)) is False


class TestOverride:
    def test_the_permission_lets_a_user_not_assigned_answer_as_an_override(
        self, fab: FabLikeAuthManager, session: Session
    ) -> None:
        holder = fab_user("ann", "release-managers", perms={EDIT_CONFIGURATION})
        assert decide_responder(session, holder, request_for_alice()) == Decision(True, override=True)

    def test_a_role_named_admin_without_the_permission_is_refused(
        self, fab: FabLikeAuthManager, session: Session
    ) -> None:
        decision = decide_responder(session, fab_user("bob", "Admin"), request_for_alice())
        assert decision.allowed is False
        assert decision.reason == "this request is assigned to users ['alice']; you are not among them"

    def test_an_assignee_holding_the_permission_answers_without_override(
        self, fab: FabLikeAuthManager, session: Session
    ) -> None:
        alice = fab_user("alice", "Viewer", perms={EDIT_CONFIGURATION})
        assert decide_responder(session, alice, request_for_alice()) == Decision(True)


class TestRoleNamesAreData:
    """``user_roles`` feeds groups that follow a role (``follows_role``)."""

    @pytest.mark.parametrize("role", ["ADMIN", "Op", "viewer"])
    def test_a_simple_auth_manager_role_in_lower_case(self, role: str) -> None:
        assert user_roles(SimpleAuthManagerUser(username="ann", role=role)) == {role.lower()}

    def test_a_simple_auth_manager_user_without_role_has_none(self) -> None:
        assert user_roles(SimpleAuthManagerUser(username="cid", role=None)) == set()

    def test_all_fab_role_names_in_lower_case(self) -> None:
        assert user_roles(fab_user("ann", "Admin", "Op", "Viewer")) == {"admin", "op", "viewer"}

    def test_roles_given_as_plain_names_are_understood(self) -> None:
        assert user_roles(SimpleNamespace(roles=["Admin", "Viewer"])) == {"admin", "viewer"}

    def test_roles_none_or_missing_mean_no_roles(self) -> None:
        assert user_roles(SimpleNamespace(roles=None)) == set()
        assert user_roles(object()) == set()

    def test_a_group_follows_a_role_by_name(self, session: Session) -> None:
        session.add(HITLGroup(name="controllers", follows_role="Op", created_at=timezone.utcnow()))
        session.flush()
        assert permissions.groups_of(session, SimpleAuthManagerUser(username="oscar", role="op")) == {
            "controllers"
        }
        assert permissions.groups_of(session, SimpleAuthManagerUser(username="vera", role="viewer")) == set()
