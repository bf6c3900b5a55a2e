"""Asking a person at a terminal for the option(s) and each form field of a request.

Prompts go to stderr and answers are read from stdin, so ``-o json > answer.json`` still works
interactively. Values are typed by the field's schema before they are sent; whether they are
acceptable is the server's decision.
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from airflowctl.hitl.errors import CLIError, ExitCode
from airflowctl.hitl.forms import (
    describe_constraints,
    describe_default,
    describe_type,
    is_sensitive,
    parse_value,
    pick_options,
    schema_of,
    types_of,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


def can_prompt() -> bool:
    """Whether somebody can be asked: stdin is a terminal."""
    return sys.stdin.isatty()


class Prompter:
    """Reads answers line by line from the terminal; end of input stops the command."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)

    def say(self, markup: str) -> None:
        self.console.print(markup)

    def ask(self, label: str, secret: bool = False) -> str:
        if secret:
            # getpass writes its prompt to the terminal itself and does not echo what is typed.
            try:
                return getpass.getpass(f"{label}: ")
            except EOFError as err:
                raise CLIError("no answer given (end of input)", ExitCode.USAGE) from err
        # Written as is: rich would trim the space after the colon, where the cursor waits.
        sys.stderr.write(f"{label}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise CLIError("no answer given (end of input)", ExitCode.USAGE)
        return line.rstrip("\n")

    def show_request(self, request: Mapping[str, Any]) -> None:
        ti = request["task_instance"]
        self.say(f"[bold]{escape(request['subject'])}[/bold]")
        self.say(escape(f"{ti['dag_id']} / {ti['dag_run_id']} / {ti['task_id']}"))
        if request.get("body"):
            self.say("")
            self.say(escape(request["body"]))
        self.say("")

    def choose_options(self, request: Mapping[str, Any]) -> list[str]:
        """Numbered options; the answer is one number or name (several, comma-separated, if allowed)."""
        options: list[str] = list(request["options"])
        multiple = bool(request.get("multiple"))
        for number, option in enumerate(options, start=1):
            self.say(f"  {number}. {escape(option)}")
        hint = "numbers or names, comma-separated" if multiple else "number or name"
        defaults = request.get("defaults") or []
        default_hint = f", Enter for {', '.join(defaults)}" if defaults else ""
        while True:
            answer = self.ask(f"Option ({hint}{default_hint})")
            if not answer.strip() and defaults:
                return list(defaults)
            try:
                return pick_options(options, answer, multiple)
            except ValueError as err:
                self.say(f"[red]{escape(str(err))}[/red]")

    def fill_form(self, params: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
        """A value for each field not in ``given``; Enter keeps a field's default."""
        values: dict[str, Any] = {}
        pending = [name for name in params if name not in given]
        if pending:
            self.say("[bold]Form[/bold] (Enter keeps the default)")
        for name in pending:
            spec = params[name]
            schema = schema_of(spec)
            details = [describe_type(schema), *describe_constraints(schema)]
            default = describe_default(spec)
            has_default = spec.get("value") is not None
            if spec.get("description"):
                self.say(f"  [dim]{escape(str(spec['description']))}[/dim]")
            label = f"{name} [{'; '.join(details)}]"
            if has_default:
                label += f" (default: {default})"
            elif "null" not in types_of(schema):
                label += " (required)"
            while True:
                answer = self.ask(label, secret=is_sensitive(spec))
                if answer == "":
                    # Leaving the field out lets the server apply the default (or ask for a value).
                    if has_default or "null" in types_of(schema):
                        break
                    self.say("[red]a value is required[/red]")
                    continue
                try:
                    values[name] = parse_value(schema, answer)
                    break
                except ValueError as err:
                    self.say(f"[red]{escape(str(err))}[/red]")
        return values

    def ask_comment(self, required: bool) -> str | None:
        """The answer's comment: asked again while empty when the chosen option needs one."""
        label = "Comment (required: say why)" if required else "Comment (Enter for none)"
        while True:
            answer = self.ask(label).strip()
            if answer or not required:
                return answer or None
            self.say("[red]this answer needs a comment[/red]")
