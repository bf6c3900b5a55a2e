"""Operators whose options are fixed: approve or reject, stop or proceed.

Both share one base: the guard against ``options``/``multiple`` arguments, the one option that
lets the run go on, and the "keep the answer as XCom, then skip downstream" step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.hitl.request import HITLDefinitionError
from airflow.providers.hitl.operators.base import HITLOperator
from airflow.providers.hitl.operators.exceptions import HITLRejectedError
from airflow.providers.standard.utils.skipmixin import SkipMixin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk.definitions.context import Context


def skip_downstream(operator: SkipMixin, context: Context, *, everything: bool) -> None:
    """
    Skip the task's downstream tasks (all of them, or only the direct ones), except teardowns.

    For an unmapped task Airflow ends the task here (``DownstreamTasksSkipped``), so push any XCom
    before calling this.
    """
    task = context["task"]
    relatives = (
        task.get_flat_relatives(upstream=False) if everything else task.get_direct_relatives(upstream=False)
    )
    to_skip = [t for t in relatives if not t.is_teardown]
    operator.log.info("Skipping %s", sorted(t.task_id for t in to_skip))
    operator.skip(ti=context["ti"], tasks=to_skip)


class FixedOptionsHITLOperator(HITLOperator, SkipMixin):
    """
    A ``HITLOperator`` whose options are fixed by the class (``fixed_options``, one may be chosen):
    the base of ``ApprovalOperator`` and ``HITLTerminationOperator``.

    Choosing ``go_on_option`` returns the answer like ``HITLOperator``; the other option calls
    :meth:`stop`.
    """

    fixed_options: tuple[str, ...] = ()
    go_on_option: str = ""
    inherits_from_skipmixin = True

    def __init__(self, **kwargs: Any) -> None:
        for fixed in ("options", "multiple"):
            if fixed in kwargs:
                raise HITLDefinitionError(
                    f"{type(self).__name__} {kwargs.get('task_id')!r}: '{fixed}' is fixed "
                    f"(options are {list(self.fixed_options)}, one may be chosen)"
                )
        super().__init__(options=list(self.fixed_options), multiple=False, **kwargs)

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        if result["chosen_options"] == [self.go_on_option]:
            return result
        return self.stop(context, result)

    def stop(self, context: Context, result: dict[str, Any]) -> Any:
        """What the option other than ``go_on_option`` does: skip downstream, or fail."""
        raise NotImplementedError

    def keep_result(self, context: Context, result: dict[str, Any]) -> None:
        """Push ``result`` as the XCom ``return_value`` before the task ends in a skip or a failure."""
        context["ti"].xcom_push(key="return_value", value=result)

    def skip_after(self, context: Context, result: dict[str, Any], *, everything: bool) -> dict[str, Any]:
        """Keep ``result`` as the XCom, then skip downstream (Airflow may end the task in the skip)."""
        self.keep_result(context, result)
        skip_downstream(self, context, everything=everything)
        return result


class ApprovalOperator(FixedOptionsHITLOperator):
    """
    Ask a person to approve or reject; reject skips what follows (or fails the task).

    :param ignore_downstream_trigger_rules: On reject, skip every downstream task (True) or only
        the direct ones, letting the others' trigger rules decide (False, the default).
    :param fail_on_reject: On reject, fail the task instead of skipping downstream.
    :param reject_quorum: With ``required_approvals``, how many rejections reject (default 1: any
        rejection does).
    """

    APPROVE = "Approve"
    REJECT = "Reject"
    fixed_options = (APPROVE, REJECT)
    go_on_option = APPROVE

    def __init__(
        self,
        *,
        ignore_downstream_trigger_rules: bool = False,
        fail_on_reject: bool = False,
        reject_quorum: int = 1,
        **kwargs: Any,
    ) -> None:
        self.reject_quorum = reject_quorum
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules
        self.fail_on_reject = fail_on_reject

    def required_votes(self, options: Sequence[str]) -> dict[str, int]:
        """``required_approvals`` approvals approve; ``reject_quorum`` rejections (one) reject."""
        return {self.APPROVE: self.required_approvals, self.REJECT: self.reject_quorum}

    def stop(self, context: Context, result: dict[str, Any]) -> Any:
        who = (result["responded_by_user"] or {}).get("name") or "the deadline's default"
        if self.fail_on_reject:
            self.keep_result(context, result)
            raise HITLRejectedError(f"Rejected by {who}")
        self.log.info("Rejected by %s", who)
        return self.skip_after(context, result, everything=self.ignore_downstream_trigger_rules)


class HITLTerminationOperator(FixedOptionsHITLOperator):
    """
    Ask a person whether the run goes on: ``Stop`` skips every downstream task (whatever their
    trigger rules, as ``ShortCircuitOperator`` with ``ignore_downstream_trigger_rules=True``),
    ``Proceed`` continues.
    """

    STOP = "Stop"
    PROCEED = "Proceed"
    fixed_options = (STOP, PROCEED)
    go_on_option = PROCEED

    def stop(self, context: Context, result: dict[str, Any]) -> Any:
        return self.skip_after(context, result, everything=True)
