"""What the admin's form pages share: values shown once after a redirect, and form fields
read with errors that name the field."""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tracker.errors import InvalidInputError
from tracker.web.templating import render

# One-time values (the confirmation, a new feed's secret) ride in short-lived cookies
# across the redirect after a POST: a reload neither repeats the action nor shows them again.
ONCE = "tracker_once_"
ONCE_SECONDS = 300

# A posted form or a query string: both map a field name to its text.
Fields = Mapping[str, object]
E = TypeVar("E", bound=StrEnum)


class FieldError(InvalidInputError):
    """A value the page cannot use. `name` is the input's name (to mark it invalid);
    the message starts with the label the person sees."""

    def __init__(self, name: str, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.name = name


def refusal(error: InvalidInputError) -> dict[str, str | None]:
    """What a page re-rendered with 422 shows: the message, and which input is invalid."""
    invalid = error.name if isinstance(error, FieldError) else None
    return {"error": error.message, "invalid": invalid}


def see_other(path: str, notice: str, *, secure: bool, **once: str) -> RedirectResponse:
    """A 303 to `path`, which shows `notice` (and gets `once`) the next time only."""
    response = RedirectResponse(path, status_code=303)
    for key, value in {"notice": notice, **once}.items():
        response.set_cookie(
            ONCE + key,
            quote(value, safe=""),
            max_age=ONCE_SECONDS,
            path="/admin",
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return response


def page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """`render`, with the notice the last redirect left as `flash`; every one-time value
    is forgotten once a page has been shown."""
    response = render(
        request, name, {"flash": once_value(request, "notice"), **context}, status_code
    )
    for key in request.cookies:
        if key.startswith(ONCE):
            response.delete_cookie(key, path="/admin")
    return response


def once_value(request: Request, key: str) -> str | None:
    """A one-time value the last redirect left (`page` forgets it once shown)."""
    value = request.cookies.get(ONCE + key)
    return unquote(value) if value else None


def text(fields: Fields, name: str) -> str:
    """A field's text, trimmed; empty if it was not sent."""
    return str(fields.get(name) or "").strip()


def required(fields: Fields, name: str, label: str, max_length: int = 500) -> str:
    """A field that must be filled in."""
    value = text(fields, name)
    if not value:
        raise FieldError(name, label, "please fill this in.")
    if len(value) > max_length:
        raise FieldError(name, label, f"keep it to {max_length} characters or fewer.")
    return value


def day(fields: Fields, name: str, label: str) -> date | None:
    """A date written YYYY-MM-DD (what a date input sends), or None if left empty."""
    value = text(fields, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(name, label, f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


def whole(fields: Fields, name: str, label: str, low: int, high: int) -> int | None:
    """A whole number from `low` to `high`, or None if left empty."""
    value = text(fields, name)
    if not value:
        return None
    # Length first: a thousand digits would be slow to read as a number.
    short = len(value) <= len(str(high))
    number = int(value) if value.isascii() and value.isdigit() and short else None
    if number is None or not low <= number <= high:
        raise FieldError(name, label, f"enter a whole number from {low} to {high}.")
    return number


def choice(fields: Fields, name: str, label: str, options: type[E]) -> E | None:
    """One of an enum's values, or None if left empty."""
    value = text(fields, name)
    if not value:
        return None
    try:
        return options(value)
    except ValueError:
        allowed = ", ".join(option.value for option in options)
        raise FieldError(name, label, f"choose one of {allowed}.") from None
