"""``airflowctl-hitl``: the command line, built like airflowctl's own (argparse, rich help).

airflowctl 0.1 builds its command list from a fixed table, so this is a command of its own that
behaves like an airflowctl command group: same ``--output`` flag and formats, same ``-e/--env``, and
the login ``airflowctl auth login`` stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich_argparse import RawTextRichHelpFormatter

from airflowctl.hitl import __version__
from airflowctl.hitl.client import HITLClient
from airflowctl.hitl.commands import groups, requests
from airflowctl.hitl.errors import CLIError, ExitCode
from airflowctl.hitl.login import load_login
from airflowctl.hitl.output import OUTPUT_FORMATS

Command = Callable[[argparse.Namespace, HITLClient], None]

EPILOG = (
    "Log in once with `airflowctl auth login`; without a keyring service, set AIRFLOW_CLI_TOKEN or "
    "AIRFLOW_CLI_TOKEN_FILE.\nExit codes: 0 ok, 1 other error, 2 usage, 3 not logged in, 4 invalid option "
    "(400), 5 not allowed (403),\n6 not found (404), 7 conflict (409), 8 invalid values (422), "
    "9 API server unreachable."
)


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors end with :attr:`ExitCode.USAGE`, one line on stderr after the usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=OUTPUT_FORMATS,
        default="json",
        metavar="(table, json, yaml, plain)",
        help="Output format. Allowed values: json, yaml, plain, table (default: json)",
    )
    parser.add_argument(
        "-e",
        "--env",
        default=None,
        help="The airflowctl environment whose login to use (default: production, or "
        "$AIRFLOW_CLI_ENVIRONMENT)",
    )


def _task(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dag_id", help="The DAG id")
    parser.add_argument("run_id", help="The DAG run id")
    parser.add_argument("task_id", help="The task id")
    parser.add_argument(
        "--map-index", type=int, default=-1, help="The map index of a mapped task (default: -1, not mapped)"
    )


def _answer(parser: argparse.ArgumentParser, with_options: bool) -> None:
    if with_options:
        parser.add_argument(
            "--option",
            action="append",
            metavar="OPTION",
            help="An option to choose; repeat it to choose several (when the request allows that). "
            "Without it, on a terminal, you are asked",
        )
    parser.add_argument(
        "--param",
        action="append",
        metavar="KEY=VALUE",
        help="A form field's value, typed by the field's schema (5 for an integer, a,b or a JSON "
        "array for an array); repeat for several fields",
    )
    parser.add_argument(
        "--params-file", metavar="FILE", help="A JSON file with an object of form values (--param wins)"
    )
    parser.add_argument(
        "--comment",
        metavar="TEXT",
        help="Why you answer so, recorded with the answer (required for the options the request's "
        "require_comment_on names; asked for on a terminal then)",
    )


def _add(
    subparsers: argparse._SubParsersAction, name: str, func: Command, help: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help=help, description=help, formatter_class=RawTextRichHelpFormatter
    )
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The ``airflowctl-hitl`` argument parser."""
    parser = ArgumentParser(
        prog="airflowctl-hitl",
        description="List, inspect and answer human-in-the-loop requests; manage responder groups.",
        epilog=EPILOG,
        formatter_class=RawTextRichHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"airflowctl-hitl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = _add(commands, "list", requests.list_requests, "List requests (default: pending for me)")
    listing.add_argument(
        "--all", action="store_true", help="Requests of every assignee and (without --status) every status"
    )
    listing.add_argument(
        "--status",
        action="append",
        choices=(*requests.ALL_STATUSES, "any"),
        help="Only requests in this status; repeat for several (default: pending)",
    )
    listing.add_argument("--dag-id", help="Only requests of this DAG")
    listing.add_argument("--run-id", help="Only requests of this DAG run (with --dag-id)")
    listing.add_argument("--task-id", help="Only requests of this task")
    listing.add_argument("--search", help="Only requests whose subject contains this text (any case)")
    listing.add_argument("--group", help="Only requests assigned to this responder group")
    listing.add_argument("--limit", type=positive_int, default=50, help="At most this many (default: 50)")
    listing.add_argument("--offset", type=int, default=0, help="Skip this many (default: 0)")
    listing.add_argument(
        "--order-by",
        default="-created_at",
        help="created_at, deadline, responded_at, dag_id, task_id, dag_run_id, status or subject; "
        "prefix - for descending (default: -created_at)",
    )

    show = _add(commands, "show", requests.show_request, "Show a request: question, options, form, answer")
    _task(show)
    show.add_argument("--try", dest="try_number", type=positive_int, help="An earlier try's request")

    respond = _add(commands, "respond", requests.respond, "Answer a request with options and form values")
    _task(respond)
    _answer(respond, with_options=True)
    for name, func, verb in (("approve", requests.approve, "Approve"), ("reject", requests.reject, "Reject")):
        shortcut = _add(commands, name, func, f"Answer an approval request with {verb}")
        _task(shortcut)
        _answer(shortcut, with_options=False)

    group_parser = commands.add_parser(
        "groups",
        help="Manage responder groups",
        description="Manage responder groups",
        formatter_class=RawTextRichHelpFormatter,
    )
    group_commands = group_parser.add_subparsers(dest="group_command", metavar="COMMAND", required=True)
    _add(group_commands, "list", groups.list_groups, "List groups and their members")
    for name, func, help in (
        ("show", groups.show_group, "Show a group"),
        ("create", groups.create_group, "Create a group (admins)"),
        ("delete", groups.delete_group, "Delete a group (admins)"),
        ("add-member", groups.add_member, "Add a user to a group (admins)"),
        ("remove-member", groups.remove_member, "Remove a user from a group (admins)"),
    ):
        sub = _add(group_commands, name, func, help)
        sub.add_argument("name", help="The group's name")
        if name in ("add-member", "remove-member"):
            sub.add_argument("user_id", help="The user's id, as the auth manager knows it")
        if name == "create":
            sub.add_argument("--description", help="What the group is for")
            sub.add_argument("--member", action="append", metavar="USER_ID", help="A member; repeatable")
            sub.add_argument("--follows-role", help="Users holding this auth-manager role are members too")

    for sub in _all_subparsers(parser):
        if sub.get_default("func") is not None:
            _common(sub)
    return parser


def _all_subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub, *_all_subparsers(sub)]
    return found


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (see :class:`~airflowctl.hitl.errors.ExitCode`)."""
    args = build_parser().parse_args(argv)
    try:
        login = load_login(args.env)
        with HITLClient(login) as client:
            args.func(args, client)
    except CLIError as err:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[red]Error:[/red] {escape(err.message)}"
        )
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    return ExitCode.OK
