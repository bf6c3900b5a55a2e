"""``HITLEntryOperator``: a person fills in a form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.hitl.operators.base import HITLOperator

if TYPE_CHECKING:
    from collections.abc import Sequence


class HITLEntryOperator(HITLOperator):
    """
    Ask a person to fill in a form (``params``); the values go downstream as XCom.

    ``options`` default to ``["OK"]`` and ``defaults`` to ``["OK"]``.
    """

    def __init__(
        self,
        *,
        options: Sequence[str] | str | None = None,
        defaults: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if options is None:
            options = ["OK"]
            defaults = ["OK"] if defaults is None else defaults
        super().__init__(options=options, defaults=defaults, **kwargs)
