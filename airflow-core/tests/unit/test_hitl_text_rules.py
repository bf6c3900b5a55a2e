"""Specification of the text rule of request bodies: no NUL characters (PostgreSQL cannot store them)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from airflow.hitl.api.datamodels.hitl_details import UpdateHITLDetailPayload
from airflow.hitl.api.datamodels.hitl_groups import HITLGroupBody
from airflow.hitl.api.datamodels.text import has_nul


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", False),
        ("a\x00b", True),
        ({"key": ["x", {"deep": "y\x00"}]}, True),
        ({"k\x00": 1}, True),
        ([1, 2.5, None, True], False),
    ],
)
def test_has_nul_looks_into_every_string_of_a_json_value(value: object, expected: bool) -> None:
    assert has_nul(value) is expected


def test_an_answer_with_a_nul_in_a_form_value_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        UpdateHITLDetailPayload(chosen_options=["Approve"], params_input={"note": "ok\x00"})
    assert refused.value.errors()[0]["loc"] == ("params_input",)
    assert "NUL" in refused.value.errors()[0]["msg"]


def test_a_group_name_with_a_nul_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        HITLGroupBody(name="fin\x00ance")
    assert refused.value.errors()[0]["loc"] == ("name",)
    assert HITLGroupBody(name="finance", members=["alice"]).members == ["alice"]
