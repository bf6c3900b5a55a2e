"""``list``, ``show``, ``respond``, ``approve`` and ``reject``: the requests of HITL tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from airflowctl.hitl.errors import CLIError, ExitCode
from airflowctl.hitl.forms import (
    describe_constraints,
    describe_default,
    describe_type,
    is_sensitive,
    params_from_assignments,
    schema_of,
)
from airflowctl.hitl.output import print_document, print_rows, text
from airflowctl.hitl.prompt import Prompter, can_prompt

if TYPE_CHECKING:
    from argparse import Namespace

    from airflowctl.hitl.client import HITLClient

# The options ApprovalOperator offers (``ApprovalOperator.APPROVE`` / ``REJECT``).
APPROVE = "Approve"
REJECT = "Reject"

ALL_STATUSES = ("pending", "responded", "timed_out", "cancelled")


def list_filters(args: Namespace) -> dict[str, Any]:
    """The API query for ``list``: pending requests waiting for me unless told otherwise."""
    statuses = list(args.status or ([] if args.all else ["pending"]))
    query: dict[str, Any] = {"limit": args.limit, "offset": args.offset, "order_by": args.order_by}
    if "any" not in statuses and statuses:
        query["status"] = statuses
    if not args.all:
        query["for_me"] = "true"
    optional = {
        "task_id": args.task_id,
        "subject_search": args.search,
        "assigned_group": args.group,
    }
    query.update({key: value for key, value in optional.items() if value})
    return query


def list_row(request: dict[str, Any]) -> dict[str, str]:
    """One line of the ``list`` table."""
    ti = request["task_instance"]
    assignees = [user["name"] for user in request["assigned_users"]] + [
        f"group:{group}" for group in request["assigned_groups"]
    ]
    return {
        "dag_id": ti["dag_id"],
        "run_id": ti["dag_run_id"],
        "task_id": ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]",
        "status": request["status"],
        "subject": request["subject"],
        "options": text(request["options"]),
        "assignees": text(assignees),
        "deadline": text(request["deadline"]),
    }


def list_requests(args: Namespace, client: HITLClient) -> None:
    """Print requests: by default those pending for me (assigned to me or my groups, or to nobody in a
    DAG I may edit)."""
    page = client.list_requests(list_filters(args), dag_id=args.dag_id or "~", run_id=args.run_id or "~")
    if args.output in ("json", "yaml"):
        print_document(page, args.output)
        return
    rows = [list_row(request) for request in page["hitl_details"]]
    print_rows(rows, args.output, empty="No requests found", whole=("dag_id", "run_id", "task_id", "status"))
    shown = len(rows)
    notes = []
    if page["total_entries"] > args.offset + shown:
        notes.append(f"showing {shown} of {page['total_entries']}; use --limit and --offset for more")
    unfiltered = not (args.all or args.group or args.dag_id or args.run_id or args.task_id or args.search)
    if unfiltered and args.status in (None, ["pending"]):
        counts = client.counts()
        others = counts["pending"] - counts["pending_for_me"]
        if others > 0:
            notes.append(f"{others} more pending requests are waiting for others: see them with --all")
    for note in notes:
        _note(note)


def _note(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False).print(f"[dim]{escape(message)}[/dim]")


def detail_rows(request: dict[str, Any]) -> list[dict[str, str]]:
    """``show``: the request as field/value lines."""
    ti = request["task_instance"]
    responded_by = request.get("responded_by_user")
    rows = [
        ("dag_id", ti["dag_id"]),
        ("run_id", ti["dag_run_id"]),
        ("task_id", ti["task_id"]),
        ("map_index", ti["map_index"]),
        ("try_number", ti["try_number"]),
        ("task_state", ti["state"]),
        ("status", request["status"]),
        ("subject", request["subject"]),
        ("body", request.get("body")),
        ("options", request["options"]),
        ("multiple", request["multiple"]),
        ("defaults", request.get("defaults")),
        ("assigned_users", [f"{u['name']} ({u['id']})" for u in request["assigned_users"]]),
        ("assigned_groups", request["assigned_groups"]),
        ("created_at", request["created_at"]),
        ("deadline", request.get("deadline")),
    ]
    quorum = (request.get("policy") or {}).get("required_votes") or {}
    if any(needed > 1 for needed in quorum.values()):
        rows += [
            ("votes_needed", [f"{option}: {quorum.get(option, 1)}" for option in request["options"]]),
            ("votes", [vote_line(vote) for vote in request.get("votes") or []]),
        ]
    if request.get("response_received") or request.get("responded_at"):
        rows += [
            ("responded_by", f"{responded_by['name']} ({responded_by['id']})" if responded_by else None),
            ("responded_at", request.get("responded_at")),
            ("chosen_options", request.get("chosen_options")),
            ("params_input", request.get("params_input")),
            ("response_channel", request.get("response_channel")),
            ("override", request.get("override")),
            ("comment", request.get("comment")),
        ]
    return [{"field": name, "value": text(value)} for name, value in rows]


def vote_line(vote: dict[str, Any]) -> str:
    """One vote of a quorum: who, what, when, and why."""
    line = f"{vote['user']['name']}: {', '.join(vote['chosen_options'])} at {vote['voted_at']}"
    return f"{line} ({vote['comment']})" if vote.get("comment") else line


def field_rows(params: dict[str, Any]) -> list[dict[str, str]]:
    """``show``: one line per form field with its type, default and constraints."""
    return [
        {
            "field": name,
            "type": describe_type(schema_of(spec)),
            "default": describe_default(spec),
            "constraints": "; ".join(describe_constraints(schema_of(spec))),
            "sensitive": "yes" if is_sensitive(spec) else "",
            "description": text(spec.get("description")),
        }
        for name, spec in params.items()
    ]


def show_request(args: Namespace, client: HITLClient) -> None:
    """Print one request: what it asks, its options and form, who may answer, and any answer."""
    request = client.get_request(args.dag_id, args.run_id, args.task_id, args.map_index, args.try_number)
    if args.output in ("json", "yaml"):
        print_document(request, args.output)
        return
    print_rows(detail_rows(request), args.output, whole=("field",))
    if request["params"]:
        print_rows(field_rows(request["params"]), args.output)


def read_params_file(path: str) -> dict[str, Any]:
    """Form values from a JSON file holding one object."""
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise CLIError(f"--params-file: cannot read {path}: {err.strerror}", ExitCode.USAGE) from err
    except ValueError as err:
        raise CLIError(f"--params-file: {path} is not valid JSON: {err}", ExitCode.USAGE) from err
    if not isinstance(values, dict):
        raise CLIError(f"--params-file: {path} must hold a JSON object of field values", ExitCode.USAGE)
    return values


def respond(args: Namespace, client: HITLClient, options: list[str] | None = None) -> None:
    """
    Answer a request with ``options`` (or ``--option``) and form values from ``--params-file`` and
    ``--param`` (in that order, later ones win). Without options on a terminal, ask for them and for
    every form field not given on the command line; on a terminal, ask for the comment too when the
    chosen option needs one and ``--comment`` was not given.
    """
    chosen = list(options or args.option or [])
    comment: str | None = args.comment
    params_input: dict[str, Any] = read_params_file(args.params_file) if args.params_file else {}
    request: dict[str, Any] | None = None
    if args.param or not chosen:
        request = client.get_request(args.dag_id, args.run_id, args.task_id, args.map_index)
    if args.param:
        assert request is not None
        params_input.update(params_from_assignments(request["params"], args.param))
    if not chosen:
        if not can_prompt():
            raise CLIError("respond: no --option given and stdin is not a terminal to ask on", ExitCode.USAGE)
        assert request is not None
        if request["status"] != "pending":
            # Asking first would waste the person's time: the server would refuse the answer (409).
            raise CLIError(
                f"respond: conflict: this request is {request['status']} and takes no answers",
                ExitCode.CONFLICT,
            )
        prompter = Prompter()
        prompter.show_request(request)
        chosen = prompter.choose_options(request)
        params_input.update(prompter.fill_form(request["params"], params_input))
    if comment is None and can_prompt():
        request = request or client.get_request(args.dag_id, args.run_id, args.task_id, args.map_index)
        needing = set(((request.get("policy") or {}).get("require_comment_on")) or [])
        if needing & set(chosen):
            comment = Prompter().ask_comment(required=True)
    answer = client.respond(
        args.dag_id, args.run_id, args.task_id, args.map_index, chosen, params_input, comment
    )
    if args.output in ("json", "yaml"):
        print_document(answer, args.output)
        return
    if request is None and answer["params_input"]:
        # Which fields to mask in a table is in the request's schema.
        request = client.get_request(args.dag_id, args.run_id, args.task_id, args.map_index)
    sensitive = {name for name, spec in (request or {}).get("params", {}).items() if is_sensitive(spec)}
    rows = [
        {
            "field": "responded_by",
            "value": f"{answer['responded_by']['name']} ({answer['responded_by']['id']})",
        },
        {"field": "responded_at", "value": text(answer["responded_at"])},
        {"field": "chosen_options", "value": text(answer["chosen_options"])},
        *([{"field": "comment", "value": text(answer["comment"])}] if answer.get("comment") else []),
        *(
            [{"field": "status", "value": "pending: vote recorded, the request waits for more votes"}]
            if answer.get("status") == "pending"
            else []
        ),
    ] + [
        {"field": f"params_input.{name}", "value": "***" if name in sensitive else text(value)}
        for name, value in answer["params_input"].items()
    ]
    print_rows(rows, args.output)


def approve(args: Namespace, client: HITLClient) -> None:
    """Answer an approval request with ``Approve``."""
    respond(args, client, options=[APPROVE])


def reject(args: Namespace, client: HITLClient) -> None:
    """Answer an approval request with ``Reject``."""
    respond(args, client, options=[REJECT])
