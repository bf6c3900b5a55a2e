"""``HITLBranchOperator``: a person chooses the path(s) a run takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.hitl.request import HITLDefinitionError
from airflow.providers.hitl.operators.base import HITLOperator
from airflow.providers.hitl.operators.definition import is_templated
from airflow.providers.standard.operators.branch import BranchMixIn

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow.sdk.definitions.context import Context


class HITLBranchOperator(HITLOperator, BranchMixIn):
    """
    Ask a person which path(s) to take; the others are skipped.

    :param options_mapping: Option label -> task id, task group id, or a list of them. An option
        without a mapping is itself the id of the task (or task group) to follow.

    The XCom ``return_value`` is the list of task (or group) ids followed; the full answer is in
    the XCom ``hitl_response``.
    """

    inherits_from_skipmixin = True

    def __init__(
        self, *, options_mapping: Mapping[str, str | Sequence[str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.options_mapping = dict(options_mapping or {})
        if not is_templated(self.options):
            self._check(self.options)

    def _check(self, options: Any) -> None:
        super()._check(options)
        mapping = getattr(self, "options_mapping", None)  # not set yet during HITLOperator.__init__
        if mapping is None:
            return
        problems = (
            [
                f"options_mapping names {sorted(set(mapping) - set(options))}, which are not among the "
                f"options {list(options)}"
            ]
            if set(mapping) - set(options)
            else []
        )
        for option, target in mapping.items():
            targets = [target] if isinstance(target, str) else target
            if (
                not isinstance(targets, list | tuple)
                or not targets
                or not all(isinstance(t, str) and t for t in targets)
            ):
                problems.append(
                    f"options_mapping[{option!r}] must be a task or task group id, or a non-empty list "
                    f"of them, got {target!r}"
                )
        if problems:
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: " + "; ".join(problems))

    def branches_for(self, chosen_options: Sequence[str]) -> list[str]:
        """The task or task group ids to follow for the chosen options, in order, once each."""
        followed: list[str] = []
        for option in chosen_options:
            target = self.options_mapping.get(option, option)
            for task_id in [target] if isinstance(target, str) else target:
                if task_id not in followed:
                    followed.append(task_id)
        return followed

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        followed = self.branches_for(result["chosen_options"])
        ti = context["ti"]
        ti.xcom_push(key="hitl_response", value=result)
        ti.xcom_push(key="return_value", value=followed)
        return self.do_branch(context, followed)
