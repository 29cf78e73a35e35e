"""The log safety net: phone numbers, A-numbers and feed tokens come out masked, in text
and in JSON, whatever logged them; what is not personal data stays readable."""

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from tracker.logging_setup import (
    JsonFormatter,
    MaskPersonalData,
    configure_logging,
    make_handler,
    mask_personal_data,
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("SMS to +12025550123 accepted", "SMS to +1********23 accepted"),
        ("call +1 (202) 555-0123 now", "call +1********23 now"),
        ("call (202) 555-0123 now", "call 20******23 now"),
        ("call 202-555-0123 or 202.555.0124", "call 20******23 or 20******24"),
        ("bare 2025550123 and 380501234567", "bare 20******23 and 38********67"),
        ("A-number A123456789 noted", "A-number A1******89 noted"),
        ("A-number A-123-456-789 noted", "A-number A1******89 noted"),
        ("lower case a 12345678, a-1234567", "lower case a1*****78, a1****67"),
        ("GET /feeds/Zm9vYmFyYmF6cXV4.ics 200", "GET /feeds/***.ics 200"),
    ],
)
def test_it_masks_personal_data(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "dispatch job: 200 sent, 0 to retry, 0 failed",
        "alert 12345 set aside until 2026-11-29T17:00:00+00:00",
        "receipt EAC2612345678, sid SM0123456789abcdef0123456789abcdef",
        "plan job took 1.2345 s on 127.0.0.1:5432",
    ],
)
def test_it_leaves_what_is_not_personal_data_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("tracker.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_it_masks_the_arguments_extras_and_exception_of_a_record() -> None:
    try:
        raise ValueError("no SMS to +12025550123")
    except ValueError:
        exc_info = sys.exc_info()
    entry = record("SMS to %s: %s", "+12025550123", "refused", recipient="+12025550123")
    entry.exc_info = exc_info
    assert MaskPersonalData().filter(entry)
    assert (entry.getMessage(), entry.recipient) == (  # type: ignore[attr-defined]
        "SMS to +1********23: refused",
        "+1********23",
    )
    assert entry.exc_text is not None
    assert "ValueError: no SMS to +1********23" in entry.exc_text
    assert "2025550123" not in logging.Formatter().format(entry)


def test_it_keeps_a_record_whose_arguments_do_not_fit() -> None:
    entry = record("SMS to %s and %s", "+12025550123")
    assert MaskPersonalData().filter(entry)
    assert "2025550123" not in entry.getMessage()


def test_it_writes_one_json_object_a_line_with_the_extras() -> None:
    entry = record("dispatch job: %d sent", 3, job="dispatch")
    line = JsonFormatter().format(entry)
    assert "\n" not in line
    parsed = json.loads(line)
    assert {k: parsed[k] for k in ("level", "logger", "message", "job")} == {
        "level": "WARNING",
        "logger": "tracker.test",
        "message": "dispatch job: 3 sent",
        "job": "dispatch",
    }
    assert parsed["time"].endswith("+00:00")


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put back the root logger (pytest's capture handlers) after `configure_logging`."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("tracker", "uvicorn")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.mark.usefixtures("root_logging")
def test_it_masks_a_phone_number_logged_by_any_library_in_json() -> None:
    configure_logging("json", verbose=True)
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    handler.setStream(out)
    logging.getLogger("tracker.alerts").info("SMS to %s accepted", "+12025550123")
    logging.getLogger("some.library").warning("lookup of (202) 555-0123 failed")
    logging.getLogger("some.library").info("below the root's WARNING: dropped")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "SMS to +1********23 accepted",
        "lookup of 20******23 failed",
    ]


def test_it_formats_text_lines_for_people() -> None:
    handler = make_handler("text")
    out = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    handler.handle(record("SMS to %s", "+12025550123"))
    assert out.getvalue().rstrip().endswith("WARNING tracker.test: SMS to +1********23")
