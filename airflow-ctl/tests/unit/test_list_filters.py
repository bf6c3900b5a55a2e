from __future__ import annotations

from typing import TYPE_CHECKING

from airflowctl.hitl.cli import build_parser
from airflowctl.hitl.commands.requests import list_filters

if TYPE_CHECKING:
    from argparse import Namespace


def filters(*argv: str) -> dict:
    args: Namespace = build_parser().parse_args(["list", *argv])
    return list_filters(args)


def test_by_default_only_requests_pending_for_me_are_asked_for() -> None:
    assert filters() == {
        "limit": 50,
        "offset": 0,
        "order_by": "-created_at",
        "status": ["pending"],
        "for_me": "true",
    }


def test_all_drops_the_assignee_and_status_filters() -> None:
    assert filters("--all") == {"limit": 50, "offset": 0, "order_by": "-created_at"}


def test_status_search_task_and_group_filters_reach_the_api() -> None:
    query = filters(
        "--all",
        "--status",
        "responded",
        "--status",
        "timed_out",
        "--task-id",
        "t",
        "--search",
        "Q3",
        "--group",
        "finance",
        "--limit",
        "5",
    )
    assert query == {
        "limit": 5,
        "offset": 0,
        "order_by": "-created_at",
        "status": ["responded", "timed_out"],
        "task_id": "t",
        "subject_search": "Q3",
        "assigned_group": "finance",
    }


def test_status_any_asks_for_every_status() -> None:
    assert "status" not in filters("--status", "any")
