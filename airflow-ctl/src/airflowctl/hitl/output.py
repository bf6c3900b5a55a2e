"""Printing results as airflowctl does: ``--output table|json|yaml|plain``.

Tables use airflowctl's own console, so they look like every other airflowctl command. JSON and
YAML keep the REST API's field names and value types (numbers stay numbers, ``null`` stays null),
so scripts read the same documents the API returns.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from tabulate import tabulate  # type: ignore[import-untyped]

from airflowctl.ctl.console_formatting import AirflowConsole, SimpleTable
from airflowctl.ctl.utils import yaml

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

OUTPUT_FORMATS = ("table", "json", "yaml", "plain")


def print_document(data: Any, output: str) -> None:
    """``data`` as JSON (indented, stable key order as the API sends it) or YAML."""
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(yaml.dump(data, sort_keys=False, allow_unicode=True))
    sys.stdout.flush()


def print_rows(
    rows: Sequence[Mapping[str, str]],
    output: str,
    empty: str = "No data found",
    whole: Collection[str] = (),
) -> None:
    """
    Rows of short text as airflowctl's table (``table``) or plain columns (``plain``). Columns in
    ``whole`` are never wrapped (ids people copy into the next command).
    """
    console = AirflowConsole()
    if not rows:
        console.print(empty)
        return
    if output == "plain":
        # Written as is, not through rich: a long line stays one line for grep and awk.
        sys.stdout.write(tabulate([dict(row) for row in rows], headers="keys", tablefmt="plain") + "\n")
        return
    # Cells hold user text (subjects, Markdown bodies): "[...]" must not be read as rich markup.
    escaped = [{key: escape(value) for key, value in row.items()} for row in rows]
    table = SimpleTable(show_header=console.show_header)
    for column in escaped[0]:
        table.add_column(column, no_wrap=column in whole)
    for row in escaped:
        table.add_row(*row.values())
    console.print(table)


def text(value: Any) -> str:
    """A cell: lists joined by ``, ``, nothing for ``None``."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
