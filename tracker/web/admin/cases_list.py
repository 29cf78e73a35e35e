"""GET /admin/cases and /admin/cases.csv: the expiring cases, filtered, paged, exported."""

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from tracker.accounts.users import Caller
from tracker.bootstrap import App
from tracker.cases.listing import (
    DEFAULT_WITHIN,
    CaseFilters,
    Cursor,
    ListedCase,
    Sort,
    every_page,
    fetch_page,
    representative_choices,
)
from tracker.clock import local_today
from tracker.csv_safe import neutralise
from tracker.domain.model import Program, Status
from tracker.errors import InvalidInputError
from tracker.feeds.render import LABELS
from tracker.store import audit
from tracker.store.db import session_scope
from tracker.web.admin.auth import AdminAuth, Visitor
from tracker.web.templating import render

MAX_WITHIN = 36_500
MAX_SEARCH = 200
# The CLI's `cases expiring --format csv` columns first, then what the page adds.
CSV_FIELDS = ["external_id", "name", "program", "status", "end", "days_left", "next_deadline",
              "next_act_by", "representative", "nothing_filed", "unreachable",
              "opted_out"]  # fmt: skip
SORTS = {Sort.END: "Parole ends, soonest first", Sort.END_DESC: "Parole ends, latest first",
         Sort.EXTERNAL_ID: "Case id"}  # fmt: skip
TRUE, FALSE = ("1", "on"), ("", "0")
E = TypeVar("E", Program, Status, Sort)


@dataclass
class ListRequest:
    """The query string read into filters, or what is wrong with it (field -> message)."""

    filters: CaseFilters = field(default_factory=CaseFilters)
    after: Cursor | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_request(params: Mapping[str, str], caller: Caller) -> ListRequest:
    """Filters from the query string; every bad field is named in `errors`, none raises."""
    read = _Reader(params)
    rep = read.text("representative")
    # Representatives always see only their own cases: the filter is for staff.
    rep = rep if caller.sees_all_cases else ""
    filters = CaseFilters(
        within=read.days("within", "Parole ends within"),
        ended=read.flag("ended", "Already ended"),
        program=read.choice("program", Program, "Program: choose one of the programs in the list."),
        status=read.choice("status", Status, "Status: choose one of the statuses in the list."),
        representative_id=read.representative(rep),
        unassigned=rep == "none",
        nothing_filed=read.flag("nothing_filed", "Nothing filed"),
        unreachable=read.flag("unreachable", "Unreachable number"),
        search=read.search(),
        sort=read.choice("sort", Sort, "Sort by: choose one of the orders in the list.")
        or Sort.END,
    )
    after = None
    if read.text("after") and "sort" not in read.errors:
        try:
            after = Cursor.decode(read.text("after"), filters.sort)
        except InvalidInputError:
            read.errors["after"] = (
                "Next page: this link is not valid. Start again from the first page."
            )
    return ListRequest(filters, after, read.errors)


class _Reader:
    """Reads query parameters, noting each bad one with a message that starts with its label."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return self.params.get(name, "").strip()

    def flag(self, name: str, label: str) -> bool:
        value = self.text(name).lower()
        if value not in TRUE + FALSE:
            self.errors[name] = f"{label}: tick the box or leave it empty."
        return value in TRUE

    def days(self, name: str, label: str) -> int:
        value = self.text(name)
        if not value:
            return DEFAULT_WITHIN
        if value.isdigit() and int(value) <= MAX_WITHIN:
            return int(value)
        self.errors[name] = f"{label}: enter a whole number of days from 0 to {MAX_WITHIN}."
        return DEFAULT_WITHIN

    def choice(self, name: str, enum: type[E], message: str) -> E | None:
        # Case does not matter: "u4u" is U4U.
        wanted = self.text(name).lower()
        found = next((member for member in enum if member.value.lower() == wanted), None)
        if found is None and wanted:
            self.errors[name] = message
        return found

    def representative(self, value: str) -> int | None:
        if value in ("", "none"):
            return None
        if not value.isdigit():
            self.errors["representative"] = "Representative: choose one from the list."
            return None
        return int(value)

    def search(self) -> str:
        value = self.text("q")
        if len(value) > MAX_SEARCH:
            self.errors["q"] = f"Search: use at most {MAX_SEARCH} characters."
        return value


def query_of(filters: CaseFilters) -> dict[str, str]:
    """The query string that asks for `filters` (defaults left out)."""
    query: dict[str, str] = {"ended": "1"} if filters.ended else {"within": str(filters.within)}
    optional = {
        "program": filters.program.value if filters.program else "",
        "status": filters.status.value if filters.status else "",
        "representative": "none" if filters.unassigned else str(filters.representative_id or ""),
        "nothing_filed": "1" if filters.nothing_filed else "",
        "unreachable": "1" if filters.unreachable else "",
        "q": filters.search,
        "sort": "" if filters.sort == Sort.END else filters.sort.value,
    }
    return query | {name: value for name, value in optional.items() if value}


def cases_list_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET /admin/cases (the page) and GET /admin/cases.csv (the same cases, every page)."""
    router = APIRouter(prefix="/admin")

    def today() -> date:
        return local_today(app.clock, app.settings.default_timezone)

    def page(request: Request, visitor: Visitor, asked: ListRequest, status: int) -> Response:
        day = today()
        context: dict[str, object] = {
            "visitor": visitor, "nav": "cases", "asked": asked, "form": request.query_params,
            "sorts": SORTS, "programs": list(Program), "statuses": list(Status),
            "labels": LABELS, "today": day, "rows": [], "next_link": None,
            "representatives": [], "csv_link": None, "first_link": None,
        }  # fmt: skip
        with session_scope(app.engine) as session:
            if visitor.caller.sees_all_cases:
                context["representatives"] = representative_choices(session)
            if not asked.errors:
                found = fetch_page(
                    session,
                    asked.filters,
                    today=day,
                    caller=visitor.caller,
                    after=asked.after,
                )
                query = query_of(asked.filters)
                context["rows"] = found.rows
                context["csv_link"] = "/admin/cases.csv?" + urlencode(query)
                if asked.after is not None:
                    context["first_link"] = "/admin/cases?" + urlencode(query)
                if found.next_cursor is not None:
                    after = {"after": found.next_cursor.encode(asked.filters.sort)}
                    context["next_link"] = "/admin/cases?" + urlencode(query | after)
            return render(request, "cases.html", context, status)

    @router.get("/cases")
    def cases(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        asked = read_request(request.query_params, visitor.caller)
        return page(request, visitor, asked, 422 if asked.errors else 200)

    @router.get("/cases.csv")
    def cases_csv(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        asked = read_request(request.query_params, visitor.caller)
        if asked.errors:
            return page(request, visitor, asked, 422)
        day = today()
        with session_scope(app.engine) as session:
            # Which filters, never the search text: it may be a person's name.
            audit.record(
                session,
                at=app.clock.now(),
                actor=visitor.caller.actor,
                action="cases.exported",
                entity="case",
                entity_id=None,
                **_audited(asked.filters),
            )
        pages = every_page(app.engine, asked.filters, today=day, caller=visitor.caller)
        return StreamingResponse(
            _csv_chunks(pages, day),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="cases-{day.isoformat()}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return router


def _audited(filters: CaseFilters) -> dict[str, str | int | None]:
    return {
        "within": None if filters.ended else filters.within,
        "ended": int(filters.ended),
        "program": filters.program.value if filters.program else None,
        "status": filters.status.value if filters.status else None,
        "representative_id": filters.representative_id,
        "unassigned": int(filters.unassigned),
        "nothing_filed": int(filters.nothing_filed),
        "unreachable": int(filters.unreachable),
        "searched": int(bool(filters.search)),
        "sort": filters.sort.value,
    }


def _csv_chunks(pages: Iterator[list[ListedCase]], today: date) -> Iterator[str]:
    """The CSV text, one chunk per page read, every cell made safe for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for rows in pages:
        writer.writerows([neutralise(cell) for cell in _csv_row(row, today)] for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no case matched: the header alone
        yield buffer.getvalue()


def _csv_row(row: ListedCase, today: date) -> list[str]:
    upcoming = row.next_deadline
    return [
        row.case.external_id,
        row.parolee.full_name,
        row.case.program.value,
        row.case.status.value,
        row.case.end_date.isoformat(),
        str((row.case.end_date - today).days),
        upcoming.kind.value if upcoming else "",
        upcoming.act_by.isoformat() if upcoming else "",
        row.representative.name if row.representative else "",
        "yes" if row.nothing_filed else "no",
        "yes" if row.unreachable else "no",
        "yes" if row.opted_out else "no",
    ]
