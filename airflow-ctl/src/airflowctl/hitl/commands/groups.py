"""``groups list|show|create|delete|add-member|remove-member``: responder groups (admins manage them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflowctl.hitl.output import print_document, print_rows, text

if TYPE_CHECKING:
    from argparse import Namespace

    from airflowctl.hitl.client import HITLClient


def group_row(group: dict[str, Any]) -> dict[str, str]:
    return {
        "name": group["name"],
        "members": text(group["members"]),
        "follows_role": text(group["follows_role"]),
        "description": text(group["description"]),
        "created_at": text(group["created_at"]),
    }


def _print_group(group: dict[str, Any], output: str) -> None:
    if output in ("json", "yaml"):
        print_document(group, output)
    else:
        print_rows([group_row(group)], output)


def list_groups(args: Namespace, client: HITLClient) -> None:
    """Print all responder groups with their members."""
    page = client.list_groups()
    if args.output in ("json", "yaml"):
        print_document(page, args.output)
    else:
        print_rows([group_row(group) for group in page["groups"]], args.output, empty="No groups found")


def show_group(args: Namespace, client: HITLClient) -> None:
    """Print one group."""
    _print_group(client.get_group(args.name), args.output)


def create_group(args: Namespace, client: HITLClient) -> None:
    """Create a group, optionally with members and a role whose holders are members too."""
    body: dict[str, Any] = {"name": args.name, "members": list(args.member or [])}
    if args.description is not None:
        body["description"] = args.description
    if args.follows_role is not None:
        body["follows_role"] = args.follows_role
    _print_group(client.create_group(body), args.output)


def delete_group(args: Namespace, client: HITLClient) -> None:
    """Delete a group."""
    client.delete_group(args.name)
    if args.output in ("json", "yaml"):
        print_document({"name": args.name, "deleted": True}, args.output)
    else:
        print_rows([{"name": args.name, "deleted": "yes"}], args.output)


def add_member(args: Namespace, client: HITLClient) -> None:
    """Add a user to a group (nothing changes if they are a member already)."""
    _print_group(client.add_member(args.name, args.user_id), args.output)


def remove_member(args: Namespace, client: HITLClient) -> None:
    """Remove a user from a group."""
    _print_group(client.remove_member(args.name, args.user_id), args.output)
