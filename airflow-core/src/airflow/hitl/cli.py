"""``airflow-hitl``: maintenance commands for the human-in-the-loop tables.

Airflow 3.0 lets only executors and auth managers add ``airflow`` sub-commands, so this is a
command of its own; it reads Airflow's configuration like ``airflow`` does.
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import nullcontext
from datetime import timedelta

DURATION = re.compile(r"^(\d+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected an age like 90d, 12h or 30m, got {text!r}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airflow-hitl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser(
        "purge",
        help="Remove requests of deleted DAG runs and answered requests older than an age",
        description="Remove requests whose DAG run was deleted and, with --older-than, requests that "
        "are no longer pending and older than that. Pending requests of existing runs are kept.",
    )
    purge.add_argument("--older-than", type=parse_duration, help="age such as 90d, 12h, 30m")
    purge.add_argument(
        "--export", metavar="FILE", help="first append each removed request to FILE (JSON lines)"
    )
    purge.add_argument("--dry-run", action="store_true", help="count (and export) only; remove nothing")
    export = commands.add_parser(
        "export-to-builtin",
        help="After an upgrade to Airflow 3.1+, copy requests and answers into Airflow's hitl_detail",
        description="On a metadata database upgraded to Airflow 3.1 or later, copy this feature's "
        "requests and answers into Airflow's built-in hitl_detail (and hitl_detail_history) where they "
        "fit, and report what does not. Running it again copies nothing twice. Requests whose task still "
        "waits are skipped unless --include-pending.",
    )
    export.add_argument("--dry-run", action="store_true", help="report what would be copied; copy nothing")
    export.add_argument(
        "--include-pending",
        action="store_true",
        help="also copy requests whose task still waits (an answer through Airflow's built-in API "
        "does not resume such a task)",
    )
    export.add_argument(
        "--sql-alchemy-conn",
        metavar="URL",
        help="the upgraded database (default: Airflow's [database] sql_alchemy_conn)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export-to-builtin":
        return export_to_builtin(args)
    from airflow import settings
    from airflow.hitl.services.retention import purge_requests
    from airflow.utils.session import create_session

    settings.configure_orm()
    export = open(args.export, "a", encoding="utf-8") if args.export else nullcontext(None)  # noqa: SIM115
    with export as sink, create_session() as session:
        result = purge_requests(session, older_than=args.older_than, export=sink, dry_run=args.dry_run)
    verb = "Would remove" if args.dry_run else "Removed"
    print(
        f"{verb} {result.total} requests: {result.orphaned} of deleted DAG runs, "
        f"{result.expired} answered, timed out or cancelled before the cut-off"
    )
    return 0


def export_to_builtin(args: argparse.Namespace) -> int:
    """Exit codes: 0 done (the report says what did not fit), 2 the database cannot take it."""
    from sqlalchemy import create_engine

    from airflow.hitl.services.export_builtin import ExportRefused
    from airflow.hitl.services.export_builtin import export_to_builtin as export

    if args.sql_alchemy_conn:
        url = args.sql_alchemy_conn
    else:
        from airflow.configuration import conf

        url = conf.get("database", "sql_alchemy_conn")
    engine = create_engine(url)
    try:
        report = export(engine, dry_run=args.dry_run, include_pending=args.include_pending)
    except ExportRefused as err:
        print(f"Refused: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
