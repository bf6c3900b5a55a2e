"""Specification of ``permissions.user_roles`` / ``is_admin`` across auth managers' user objects."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.hitl.services.permissions import is_admin, user_roles


def fab_user(*role_names):
    """A user shaped like FAB's: ``.roles`` is a list of role objects with a ``.name``."""
    return SimpleNamespace(roles=[SimpleNamespace(name=name) for name in role_names])


class TestSimpleAuthManagerUser:
    @pytest.mark.parametrize("role", ["ADMIN", "Admin", "admin"])
    def test_the_admin_role_in_any_case_is_admin(self, role):
        user = SimpleAuthManagerUser(username="ann", role=role)
        assert user_roles(user) == {"admin"}
        assert is_admin(user) is True

    @pytest.mark.parametrize("role", ["VIEWER", "USER", "OP"])
    def test_other_roles_are_not_admin(self, role):
        user = SimpleAuthManagerUser(username="bob", role=role)
        assert user_roles(user) == {role.lower()}
        assert is_admin(user) is False

    def test_a_user_without_role_has_no_roles_and_is_not_admin(self):
        user = SimpleAuthManagerUser(username="cid", role=None)
        assert user_roles(user) == set()
        assert is_admin(user) is False


class TestFabLikeUser:
    def test_all_role_names_are_collected_in_lower_case(self):
        assert user_roles(fab_user("Admin", "Op", "Viewer")) == {"admin", "op", "viewer"}

    def test_a_user_holding_the_admin_role_among_others_is_admin(self):
        assert is_admin(fab_user("Viewer", "Admin")) is True

    def test_a_user_without_the_admin_role_is_not_admin(self):
        assert is_admin(fab_user("Viewer", "User", "Op")) is False

    def test_a_role_merely_containing_admin_in_its_name_is_not_admin(self):
        assert is_admin(fab_user("NotAdmin", "Admins", "dag_admin")) is False

    def test_a_user_without_roles_is_not_admin(self):
        user = fab_user()
        assert user_roles(user) == set()
        assert is_admin(user) is False

    def test_roles_given_as_plain_names_are_understood(self):
        user = SimpleNamespace(roles=["Admin", "Viewer"])
        assert user_roles(user) == {"admin", "viewer"}
        assert is_admin(user) is True

    def test_roles_none_means_no_roles(self):
        assert user_roles(SimpleNamespace(roles=None)) == set()


def test_a_user_object_without_role_information_has_no_roles():
    assert user_roles(object()) == set()
    assert is_admin(object()) is False
