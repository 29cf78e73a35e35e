"""Server-rendered pages: one Jinja2 environment, autoescaped, with the filters pages use."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES)


def _day(value: date | datetime | None) -> str:
    """ "2027-08-31" for a date; an instant in UTC to the minute."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


templates.env.filters["day"] = _day


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page from `templates/`; `context` reaches the template as is."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    # Pages hold personal data: no shared or browser cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response
