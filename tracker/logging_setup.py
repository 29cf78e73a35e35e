"""Logging for the long-running processes: text or JSON lines, personal data masked.

Our own code logs phone numbers masked (`mask_phone`) and never logs names or A-numbers;
`MaskPersonalData` is the safety net under it, on the handler, so it also covers
libraries' records and exception texts (a driver error quoting a value, say). It masks
phone numbers (E.164, US formats, bare digit runs), A-numbers, and calendar feed tokens
in request paths (a feed URL is its own password), keeping `mask_phone`'s convention:
the first two characters and the last two.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from tracker.sms.base import mask_phone

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_PHONE = re.compile(
    r"\+\d[\d ().-]{5,}\d"  # E.164 and loosely written international numbers
    r"|\(?\b[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]\d{4}\b"  # (202) 555-0123, 202.555.0123
    r"|\b\d{10,15}\b"  # bare digits: 2025550123, 380501234567
)
# A-numbers: A, then 7 to 9 digits, with or without spaces or dashes (A-123-456-789).
_A_NUMBER = re.compile(r"\b[Aa][ -]?(?:\d{3}[ -]?\d{3}[ -]?\d{3}|\d{7,9})\b")
_FEED_TOKEN = re.compile(r"(/feeds/)[A-Za-z0-9_-]{8,}")
# Attributes every LogRecord has: anything else came from `extra=` and goes into JSON
# (but not uvicorn's `color_message`, the message again with terminal colour codes).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


def mask_personal_data(text: str) -> str:
    """`text` with phone numbers, A-numbers and feed tokens masked."""
    text = _FEED_TOKEN.sub(r"\1***", text)
    text = _A_NUMBER.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group())), text)
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"[^\d+]", "", m.group())), text)


class MaskPersonalData(logging.Filter):
    """Masks the message, the exception text and string extras of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a call whose arguments do not fit its format: log it anyway
            message = f"{record.msg!s} (arguments did not fit the format)"
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        for key, value in _extras(record).items():
            if isinstance(value, str):
                setattr(record, key, mask_personal_data(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, pid, the
    `extra=` fields, and `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update(_extras(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


def make_handler(log_format: LogFormat) -> logging.Handler:
    """A stderr handler in `log_format`, masking personal data."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskPersonalData())
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    return handler


def configure_logging(log_format: LogFormat = "text", *, verbose: bool = False) -> None:
    """Send every record to one masked stderr handler in `log_format`.

    `verbose` (serve, web, worker): our own and uvicorn's INFO records too (the jobs'
    summaries, access lines); otherwise warnings only, for commands people run by hand.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(logging.WARNING)
    level = logging.INFO if verbose else logging.NOTSET
    for name in ("tracker", "uvicorn"):
        logging.getLogger(name).setLevel(level)
