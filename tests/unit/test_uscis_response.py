"""USCIS answers read defensively (domain.md, "USCIS Case Status API")."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.uscis.errors import UnexpectedResponse
from tracker.uscis.response import (
    CaseStatus,
    StatusEvent,
    parse_case_status,
    parse_token,
    parse_uscis_time,
)

RECEIPT = "EAC9999103402"
# The sandbox's answer for EAC9999103402, as public clients show it.
SANDBOX: dict[str, Any] = {
    "case_status": {
        "receiptNumber": RECEIPT,
        "formType": "I-130",
        "submittedDate": "09-05-2023 14:28:46",
        "modifiedDate": "09-05-2023 14:28:46",
        "current_case_status_text_en": "Case Approval Was Affirmed",
        "current_case_status_desc_en": "The approval of your case was affirmed.",
        "current_case_status_text_es": "Aprobación De Caso Reafirmada",
        "current_case_status_desc_es": "La aprobación de su caso fue reafirmada.",
        "hist_case_status": None,
    },
    "message": "Query was successful",
}


def answer(**case: object) -> dict[str, Any]:
    """The sandbox answer with some case_status fields replaced (None: the key removed)."""
    payload = copy.deepcopy(SANDBOX)
    for name, value in case.items():
        if value is None:
            del payload["case_status"][name]
        else:
            payload["case_status"][name] = value
    return payload


def field_of(payload: object, receipt: str = RECEIPT) -> str:
    with pytest.raises(UnexpectedResponse) as caught:
        parse_case_status(payload, receipt)
    assert receipt in caught.value.message
    return caught.value.field


def test_it_reads_the_sandbox_answer() -> None:
    status = parse_case_status(SANDBOX, RECEIPT)

    assert status == CaseStatus(
        receipt=RECEIPT,
        form_type="I-130",
        status_en="Case Approval Was Affirmed",
        status_es="Aprobación De Caso Reafirmada",
        description_en="The approval of your case was affirmed.",
        description_es="La aprobación de su caso fue reafirmada.",
        # 14:28:46 in New York in September is EDT, four hours behind UTC.
        submitted_at=datetime(2023, 9, 5, 18, 28, 46, tzinfo=UTC),
        modified_at=datetime(2023, 9, 5, 18, 28, 46, tzinfo=UTC),
        history=(),
        raw=SANDBOX,
    )


def test_it_reads_a_null_history_as_empty_and_keeps_the_raw_answer() -> None:
    status = parse_case_status(SANDBOX, RECEIPT)

    assert status.history == ()
    assert status.raw["case_status"]["hist_case_status"] is None
    assert "raw" not in repr(status)


def test_it_reads_the_history() -> None:
    history = [
        {"date": "01-10-2024 09:00:00", "completed_text_en": "Case Was Received"},
        {"date": "", "completed_text_en": "Fees Were Waived", "completed_text_es": "Exento"},
    ]

    status = parse_case_status(answer(hist_case_status=history), RECEIPT)

    assert status.history == (
        StatusEvent(datetime(2024, 1, 10, 14, 0, tzinfo=UTC), "Case Was Received", None),
        StatusEvent(None, "Fees Were Waived", "Exento"),
    )


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("01-10-2024 09:00:00", datetime(2024, 1, 10, 14, 0, tzinfo=UTC)),  # EST
        ("07-04-2024 23:30:00", datetime(2024, 7, 5, 3, 30, tzinfo=UTC)),  # EDT, next day
        ("03-10-2024", datetime(2024, 3, 10, 5, 0, tzinfo=UTC)),  # a date alone: midnight
    ],
)
def test_it_reads_uscis_times_as_eastern_time(text: str, instant: datetime) -> None:
    assert parse_uscis_time(text) == instant


def test_optional_fields_may_be_missing_null_or_blank() -> None:
    status = parse_case_status(
        answer(
            formType=None,
            current_case_status_text_es=" ",
            current_case_status_desc_en="",
            current_case_status_desc_es=None,
            submittedDate=None,
            modifiedDate="",
            hist_case_status=None,
        ),
        RECEIPT,
    )

    assert (status.form_type, status.status_es, status.description_en) == (None, None, None)
    assert (status.submitted_at, status.modified_at, status.history) == (None, None, ())


def test_it_accepts_the_receipt_written_another_way() -> None:
    status = parse_case_status(answer(receiptNumber="eac-9999-103402"), RECEIPT)

    assert status.receipt == RECEIPT


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([SANDBOX], "the body"),
        ({"message": "Query was successful"}, "case_status"),
        ({"case_status": None}, "case_status"),
        ({"case_status": "EAC9999103402"}, "case_status"),
        (answer(receiptNumber=None), "case_status.receiptNumber"),
        (answer(current_case_status_text_en=None), "case_status.current_case_status_text_en"),
        (answer(current_case_status_text_en=" "), "case_status.current_case_status_text_en"),
        (answer(formType=130), "case_status.formType"),
        (answer(current_case_status_desc_es=["Sí"]), "case_status.current_case_status_desc_es"),
        (answer(modifiedDate="2023-09-05T14:28:46Z"), "case_status.modifiedDate"),
        (answer(submittedDate="13-45-2023 99:00:00"), "case_status.submittedDate"),
        (answer(hist_case_status={"date": "01-10-2024"}), "case_status.hist_case_status"),
        (answer(hist_case_status=["Case Was Received"]), "case_status.hist_case_status[0]"),
        (
            answer(hist_case_status=[{"date": "yesterday", "completed_text_en": "Received"}]),
            "case_status.hist_case_status[0].date",
        ),
    ],
)  # fmt: skip
def test_an_odd_answer_names_the_field(payload: object, field: str) -> None:
    assert field_of(payload) == field


def test_an_answer_for_another_receipt_is_refused() -> None:
    """Filed under the wrong receipt, a status would tell a person a false outcome."""
    assert field_of(answer(receiptNumber="LIN9999106498")) == "case_status.receiptNumber"
    assert field_of(answer(receiptNumber="not a receipt")) == "case_status.receiptNumber"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
_case_fields = st.fixed_dictionaries(
    {},
    optional={
        name: _json | st.just(value)
        for name, value in SANDBOX["case_status"].items()
        if name != "hist_case_status"
    }
    | {"hist_case_status": _json | st.lists(st.dictionaries(st.text(), _json), max_size=2)},
)


@given(st.one_of(_json, st.fixed_dictionaries({"case_status": _case_fields})))
def test_any_json_gives_a_status_or_an_unexpected_response(payload: object) -> None:
    """Never a KeyError, TypeError or AttributeError, whatever USCIS sends."""
    try:
        parse_case_status(payload, RECEIPT)
    except UnexpectedResponse as error:
        assert error.field


@pytest.mark.parametrize("expires_in", ["1799", 1799])
def test_it_reads_a_token_whose_lifetime_is_text_or_a_number(expires_in: object) -> None:
    token = parse_token(
        {"access_token": "T0k3n", "token_type": "BearerToken", "expires_in": expires_in}
    )

    assert (token.value, token.lifetime) == ("T0k3n", 1799)
    assert "T0k3n" not in repr(token)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("T0k3n", "the body"),
        ({"expires_in": "1799"}, "access_token"),
        ({"access_token": 12345, "expires_in": "1799"}, "access_token"),
        ({"access_token": "T0k3n"}, "expires_in"),
        ({"access_token": "T0k3n", "expires_in": "soon"}, "expires_in"),
        ({"access_token": "T0k3n", "expires_in": 0}, "expires_in"),
        ({"access_token": "T0k3n", "expires_in": True}, "expires_in"),
    ],
)
def test_an_odd_token_answer_names_the_field(payload: object, field: str) -> None:
    with pytest.raises(UnexpectedResponse) as caught:
        parse_token(payload)

    assert caught.value.field == field
    assert "access token" in caught.value.message
