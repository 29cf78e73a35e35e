"""USCIS holds: policy memos that pause decisions on named forms for nationals of named
countries (`config/holds.toml`). A hold moves no date; it marks the deadlines whose usual
advice ("file early so USCIS can decide in time") it defeats. Pure: parses text."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from tracker.domain.model import DeadlineKind, FilingFacts, Form
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.domain.toml_values import (
    check_unique,
    date_value,
    enum_value,
    str_list,
    tables,
    text_value,
)

# The deadlines whose advice assumes USCIS decides before parole ends.
HELD_KINDS = (
    DeadlineKind.PAROLE_EXPIRY,
    DeadlineKind.REPAROLE_WINDOW_OPENS,
    DeadlineKind.REPAROLE_FILE_BY,
)
FLAG_PREFIX = "hold:"


@dataclass(frozen=True)
class Hold:
    """One memo's pause on decisions."""

    id: str
    memo: str
    citation: str
    starts: date
    forms: frozenset[Form]
    # None: nationals of every country.
    countries: frozenset[str] | None
    # The memo's own end, if it has one; `lifted`: the day a later memo lifted it.
    ends: date | None = None
    lifted: date | None = None
    source: str = ""
    note: str = ""

    @cached_property
    def until(self) -> date | None:
        """The first day the hold no longer applies, if known (read for every deadline of
        every case: computed once)."""
        days = [d for d in (self.ends, self.lifted) if d is not None]
        return min(days) if days else None

    def covers(self, day: date) -> bool:
        """True if the hold is in effect on `day`."""
        return self.starts <= day and (self.until is None or day < self.until)

    def reaches(self, citizenship: str | None, filings: Sequence[FilingFacts]) -> bool:
        """True for a national of a held country (any, for a hold on every nationality)
        who has, or would file (re-parole), a request of a held form."""
        if self.countries is not None and citizenship not in self.countries:
            return False
        return Form.I131 in self.forms or any(f.pending and f.form in self.forms for f in filings)


def hold_flags(
    holds: Sequence[Hold], kind: DeadlineKind, day: date, citizenship: str | None,
    filings: Sequence[FilingFacts],
) -> tuple[str, ...]:  # fmt: skip
    """The `hold:<id>` flags of a deadline of `kind` falling on `day`."""
    if kind not in HELD_KINDS:
        return ()
    return tuple(
        f"{FLAG_PREFIX}{h.id}" for h in holds if h.covers(day) and h.reaches(citizenship, filings)
    )


def held_by(flags: Sequence[str]) -> list[str]:
    """The ids of the holds named in a deadline's flags."""
    return [f.removeprefix(FLAG_PREFIX) for f in flags if f.startswith(FLAG_PREFIX)]


HOLD_KEYS = {
    "id", "memo", "citation", "starts", "ends", "lifted", "forms", "countries", "source", "note",
}  # fmt: skip


def parse_holds(text: str, source: str) -> tuple[Hold, ...]:
    """Parse and check the holds file; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, {"hold"})
    holds = tuple(_parse(raw, i, where) for i, raw in enumerate(tables(data, "hold", where)))
    check_unique((h.id for h in holds), "hold", where)
    return holds


def _parse(raw: dict[str, Any], index: int, where: TomlLocator) -> Hold:
    at = ("hold", index)
    for key in raw:
        if key not in HOLD_KEYS:
            raise where.error(*at, key, "unknown key")
    starts = date_value(raw, "starts", where, *at)
    ends = date_value(raw, "ends", where, *at) if "ends" in raw else None
    lifted = date_value(raw, "lifted", where, *at) if "lifted" in raw else None
    for key, day in (("ends", ends), ("lifted", lifted)):
        if day is not None and day <= starts:
            raise where.error(*at, key, f"must be after the start ({starts})")
    forms = str_list(raw, "forms", where, *at)
    countries = str_list(raw, "countries", where, *at)
    if not forms or not countries:
        raise where.error(*at, "forms" if not forms else "countries", "list at least one")
    bad = [c for c in countries if len(c) != 2 or not c.isalpha() or not c.isupper()]
    if bad and countries != ["all"]:
        raise where.error(
            *at, "countries", f'{bad[0]!r} is not an ISO 3166 code such as AF (or write ["all"])'
        )
    return Hold(
        id=text_value(raw, "id", where, *at),
        memo=text_value(raw, "memo", where, *at),
        citation=text_value(raw, "citation", where, *at),
        starts=starts,
        ends=ends,
        lifted=lifted,
        forms=frozenset(enum_value(Form, f, where, *at, "forms") for f in forms),
        countries=None if countries == ["all"] else frozenset(countries),
        source=str(raw.get("source", "")),
        note=str(raw.get("note", "")),
    )
