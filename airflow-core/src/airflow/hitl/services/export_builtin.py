"""Carry this feature's requests into Airflow 3.1+'s built-in ``hitl_detail`` after an upgrade.

Runs on a metadata database that ``airflow db migrate`` of Airflow 3.1+ has upgraded: it holds our
tables (Airflow's upgrade leaves an external DB manager's tables alone) and Airflow's own
``hitl_detail`` (and, from 3.2, ``hitl_detail_history``). Neither side's ORM models are used: our
models may import there but Airflow's tables are not what ours expect, and Airflow's models are
not importable from a 3.0 environment. Both sides are read by SQLAlchemy inspection and every
target column is filled by an explicit mapping (:func:`builtin_row`), so a column this module
does not know stops the export instead of being filled by guesswork.

The built-in table is keyed by the task instance (``ti_id``, a foreign key to
``task_instance.id``) and, for earlier tries, by ``task_instance_history.task_instance_id``; one of
our requests goes to the table whose key its try still has.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, func, inspect, select

from airflow.hitl.request import mask_params

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sqlalchemy.engine import Connection, Engine

SOURCE = "hitl_request"
TARGET = "hitl_detail"
TARGET_HISTORY = "hitl_detail_history"
# Key column of each target table, and the Airflow table and column that key points to.
TARGET_KEYS = {
    TARGET: ("ti_id", "task_instance", "id"),
    TARGET_HISTORY: ("ti_history_id", "task_instance_history", "task_instance_id"),
}
# The columns :func:`builtin_row` fills (key aside): those of Airflow 3.1-3.3's hitl_detail.
MAPPED = (
    "options",
    "subject",
    "body",
    "defaults",
    "multiple",
    "params",
    "assignees",
    "created_at",
    "responded_at",
    "responded_by",
    "chosen_options",
    "params_input",
)
# What of ours has no place in hitl_detail and is dropped from every copied row (documented in
# docs/upgrading.md): the deadline, the stored status, the channel and the admin-override flag.


class ExportRefused(RuntimeError):
    """The database cannot take the export (no built-in table, an unknown required column)."""


class Reason:
    """Why a request is not copied, or what a copied one loses (the report's wording)."""

    WAITING = "its task is still waiting (deferred on this feature's trigger)"
    NOT_DELIVERED = "answered, but the answer has not reached the task yet"
    NO_TRY = "its task instance try no longer exists (run cleared or deleted, or the id was reused)"
    NO_HISTORY_TABLE = "an earlier try, and this Airflow version has no hitl_detail_history"
    PRESENT = "a built-in row for this try exists already (copied before, or Airflow's own)"
    GROUPS = "assigned to responder groups, which the built-in feature does not have (users kept)"
    LINKS = "prepared links, which have no built-in counterpart (not copied)"
    UNDELIVERED = "an answer recorded too late to reach the task (not copied; the defaults applied)"
    CANCELLED = "closed without an answer: shown as not responded (the built-in table has no status)"


@dataclass(frozen=True)
class Decision:
    """What happens to one of our requests: copied into ``target`` (with ``losses``) or skipped."""

    target: str | None
    skipped: str | None = None
    losses: tuple[str, ...] = ()


@dataclass
class ExportReport:
    """What an export did (or, in a dry run, would do)."""

    dry_run: bool
    copied: Counter[str] = field(default_factory=Counter)  # target table -> rows
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows
    losses: Counter[str] = field(default_factory=Counter)  # reason -> copied rows affected
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few requests
    groups: int = 0
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)  # table -> ours, not theirs

    def note(self, reason: str, request: str, counter: Counter[str]) -> None:
        counter[reason] += 1
        listed = self.examples.setdefault(reason, [])
        if len(listed) < 5:
            listed.append(request)

    def lines(self) -> list[str]:
        """The report as a person reads it."""
        verb = "Would copy" if self.dry_run else "Copied"
        out = [
            f"{verb} {self.copied[t]} requests into {t}" for t in (TARGET, TARGET_HISTORY) if self.copied[t]
        ]
        if not self.copied:
            out.append(f"{verb} no requests")
        for reason, count in self.skipped.items():
            out.append(f"Not copied: {count} requests: {reason}; e.g. {', '.join(self.examples[reason])}")
        for reason, count in self.losses.items():
            out.append(
                f"Copied with a loss: {count} requests: {reason}; e.g. {', '.join(self.examples[reason])}"
            )
        if self.groups:
            out.append(f"Not copied: {self.groups} responder groups (no built-in counterpart)")
        for table, columns in self.dropped_columns.items():
            out.append(f"Columns of {table} this Airflow does not have, left out: {', '.join(columns)}")
        if Reason.WAITING in self.skipped or Reason.NOT_DELIVERED in self.skipped:
            out.append(
                "Answer waiting requests before the upgrade: without airflow-provider-hitl, Airflow "
                "3.1+'s triggerer cannot load this feature's trigger and ends the wait. "
                "--include-pending copies them; Airflow's built-in API can answer them while their "
                "task still waits."
            )
        return out


def describe(row: Mapping[str, Any]) -> str:
    return f"{row['dag_id']}/{row['run_id']}/{row['task_id']}[{row['map_index']}] try {row['try_number']}"


def decide(
    row: Mapping[str, Any],
    *,
    current: Mapping[str, int],
    history: Mapping[str, int] | None,
    present: Mapping[str, set[str]],
    include_pending: bool,
) -> Decision:
    """
    Where one of our requests goes. ``current``/``history``: task instance id -> try number of the
    live task instances and of the recorded earlier tries (None: no history table); ``present``:
    per target table, the keys it holds already.
    """
    waiting = row["status"] == "pending" or (row["status"] == "responded" and row["resumed_at"] is None)
    if waiting and not include_pending:
        return Decision(None, Reason.WAITING if row["status"] == "pending" else Reason.NOT_DELIVERED)
    ti_id = canonical_id(row["ti_id"])
    if current.get(ti_id) == row["try_number"]:
        target = TARGET
    elif history is None:
        return Decision(None, Reason.NO_HISTORY_TABLE if ti_id not in current else Reason.NO_TRY)
    elif history.get(ti_id) == row["try_number"]:
        target = TARGET_HISTORY
    else:
        return Decision(None, Reason.NO_TRY)
    if ti_id in present.get(target, set()):
        return Decision(None, Reason.PRESENT)
    losses = []
    if row.get("assigned_groups"):
        losses.append(Reason.GROUPS)
    if row.get("undelivered_answer"):
        losses.append(Reason.UNDELIVERED)
    if row["status"] == "cancelled":
        losses.append(Reason.CANCELLED)
    return Decision(target, losses=tuple(losses))


def builtin_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """
    One of our requests as a row of the built-in table (key aside), column by column.

    * ``params``: ours are ``{value, schema, description}`` per field; the built-in ones carry the
      ``source`` too (fields of a task: ``"task"``).
    * ``assignees``: the assigned users (``{id, name}``); groups have no place.
    * ``responded_by``: ``{id, name}``, None for the defaults applied at the deadline (as the
      built-in feature records a timeout).
    * ``params_input``: the answer, sensitive fields masked: the built-in API shows it to
      everyone who can read the DAG.
    """
    params = {name: {"source": "task", **spec} for name, spec in (row["params"] or {}).items()}
    responded_by = None
    if row["responded_by_id"] is not None:
        responded_by = {
            "id": row["responded_by_id"],
            "name": row["responded_by_name"] or row["responded_by_id"],
        }
    answered = row["status"] in ("responded", "timed_out")
    return {
        "options": list(row["options"]),
        "subject": row["subject"],
        "body": row["body"],
        "defaults": row["defaults"],
        "multiple": bool(row["multiple"]),
        "params": params,
        "assignees": [{"id": u["id"], "name": u.get("name") or u["id"]} for u in row["assigned_users"] or []],
        "created_at": row["created_at"],
        "responded_at": row["responded_at"] if answered else None,
        "responded_by": responded_by if answered else None,
        "chosen_options": row["chosen_options"] if answered else None,
        "params_input": (mask_params(row["params"] or {}, row["params_input"]) or {}) if answered else {},
    }


def export_to_builtin(
    engine: Engine, *, dry_run: bool = False, include_pending: bool = False
) -> ExportReport:
    """
    Copy our requests into the built-in tables where they fit, in one transaction; report the
    rest. Idempotent: a try that has a built-in row already is left alone.
    """
    report = ExportReport(dry_run=dry_run)
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        if TARGET not in tables:
            raise ExportRefused(
                f"This database has no {TARGET} table: it is not an Airflow 3.1+ database. Upgrade it "
                "first (Airflow 3.1 or later: airflow db migrate), then run the export."
            )
        if SOURCE not in tables:
            raise ExportRefused(f"This database has no {SOURCE} table: there is nothing to export.")
        targets = {name: _target_table(conn, name, report) for name in TARGET_KEYS if name in tables}
        source = Table(SOURCE, MetaData(), autoload_with=conn)
        rows = [dict(r._mapping) for r in conn.execute(select(source).order_by(source.c.id))]
        ti_ids = {canonical_id(r["ti_id"]) for r in rows}
        current = _tries(conn, "task_instance", "id", ti_ids)
        history = (
            _tries(conn, "task_instance_history", "task_instance_id", ti_ids)
            if TARGET_HISTORY in targets
            else None
        )
        present = {name: _keys(conn, table, TARGET_KEYS[name][0]) for name, table in targets.items()}
        links = _link_counts(conn, tables)
        report.groups = _count(conn, "hitl_group", tables)
        for row in rows:
            decision = decide(
                row, current=current, history=history, present=present, include_pending=include_pending
            )
            if decision.target is None:
                report.note(decision.skipped or "", describe(row), report.skipped)
                continue
            for loss in (*decision.losses, *([Reason.LINKS] if links.get(row["id"]) else [])):
                report.note(loss, describe(row), report.losses)
            report.copied[decision.target] += 1
            present[decision.target].add(canonical_id(row["ti_id"]))
            if not dry_run:
                table = targets[decision.target]
                values = {
                    TARGET_KEYS[decision.target][0]: _key_value(
                        table, TARGET_KEYS[decision.target][0], row["ti_id"]
                    )
                }
                values.update({k: v for k, v in builtin_row(row).items() if k in table.c})
                conn.execute(table.insert().values(**values))
    return report


def _target_table(conn: Connection, name: str, report: ExportReport) -> Table:
    """The built-in table, inspected: refuses one with a required column the mapping lacks."""
    table = Table(name, MetaData(), autoload_with=conn)
    key = TARGET_KEYS[name][0]
    unknown = [
        c.name
        for c in table.columns
        if c.name != key and c.name not in MAPPED and not c.nullable and c.server_default is None
    ]
    if key not in table.c or unknown:
        raise ExportRefused(
            f"{name} has required columns this export does not know ({', '.join(unknown) or key + ' missing'}): "
            "this Airflow version's table differs from the one the export maps to; nothing was copied."
        )
    dropped = [c for c in MAPPED if c not in table.c]
    if dropped:
        report.dropped_columns[name] = dropped
    return table


def _tries(conn: Connection, table_name: str, id_column: str, ids: Iterable[str]) -> dict[str, int]:
    """Task instance id -> try number, for the ids asked for."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    wanted = list(ids)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = [_key_value(table, id_column, i) for i in wanted[start : start + 500]]
        query = select(table.c[id_column], table.c.try_number).where(table.c[id_column].in_(chunk))
        found.update({canonical_id(ti_id): try_number for ti_id, try_number in conn.execute(query)})
    return found


def _keys(conn: Connection, table: Table, key: str) -> set[str]:
    return {canonical_id(k) for (k,) in conn.execute(select(table.c[key]))}


def _link_counts(conn: Connection, tables: set[str]) -> dict[int, int]:
    if "hitl_link_token" not in tables:
        return {}
    links = Table("hitl_link_token", MetaData(), autoload_with=conn)
    query = select(links.c.request_id, func.count()).group_by(links.c.request_id)
    return {request_id: count for request_id, count in conn.execute(query)}


def _count(conn: Connection, name: str, tables: set[str]) -> int:
    if name not in tables:
        return 0
    return conn.execute(
        select(func.count()).select_from(Table(name, MetaData(), autoload_with=conn))
    ).scalar_one()


def canonical_id(value: Any) -> str:
    """A task instance id in one spelling (``8-4-4-4-12`` hex digits), however it is stored."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _key_value(table: Table, column: str, value: Any) -> Any:
    """
    A task instance id as the column stores it: PostgreSQL's ``uuid`` columns take ``UUID``
    objects; elsewhere Airflow 3.0 stores the 36-character text, and from 3.2 on (migration
    ``fix_uuid_column_types``) 32 hex digits without hyphens in ``CHAR(32)``.
    """
    column_type = table.c[column].type
    try:
        if column_type.python_type is uuid.UUID:
            return uuid.UUID(str(value))
    except NotImplementedError:
        pass
    if getattr(column_type, "length", None) == 32:
        return uuid.UUID(str(value)).hex
    return canonical_id(value)
