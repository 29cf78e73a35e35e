"""Clearly fake cases, spread like a real caseload: pure, and the same for the same seed.

Each block of `BLOCK` cases draws from its own random generator, seeded by the seed and
the block's number, so case N is the same whether it is made in one run of a million or
in a second run that extends a database of a hundred thousand.

Fake by construction: family names are words for "example" or "sample" in the languages
the tracker speaks, phones are in the fictional 555-0100..0199 range, and external ids
start with SYN.
"""

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from tracker.cases.expiry import PROTECTING
from tracker.domain.model import Form, GrantSource, Program, Status
from tracker.domain.status import PENDING_STATUS

BLOCK = 1000
# External ids hold the case number in seven digits.
MAX_CASES = 10_000_000
# One representative's calendar feed holds this many clients at any scale (every 50th of
# the first 100,000 cases), so a feed benchmark compares like with like.
FEED_CLIENTS = 2000
FEED_STRIDE = 50
# Representatives other than the feed's, among whom 60% of cases are shared out.
REPRESENTATIVES = 400

# (program, share in percent, parole length in days, citizenships)
PROGRAMS = [
    (Program.U4U, 36, 729, ["UA", "UA", "UA", "RU"]),
    (Program.CHNV, 24, 729, ["CU", "HT", "NI", "VE"]),
    (Program.OAW, 12, 729, ["AF"]),
    (Program.CAM, 8, 1094, ["SV", "GT", "HN"]),
    (Program.MEDICAL, 8, 364, ["MX", "HT", "UA", "VE"]),
    (Program.OTHER, 12, 364, ["UA", "RU", "SY", "SD", "VE", "AF", "CO"]),
]
LANGUAGES = {
    "UA": ["uk", "uk", "ru", "en"], "RU": ["ru", "ru", "en"], "AF": ["fa-AF", "fa-AF", "ps"],
    "HT": ["ht", "ht", "en"], "SY": ["en"], "SD": ["en"],
}  # fmt: skip
SPANISH = ["es", "es", "es", "en"]
# Weighted towards where parolees live; every US zone appears.
ZONES = [
    "America/New_York", "America/New_York", "America/New_York", "America/New_York",
    "America/Chicago", "America/Chicago", "America/Chicago", "America/Denver",
    "America/Phoenix", "America/Los_Angeles", "America/Los_Angeles", "America/Anchorage",
    "Pacific/Honolulu", "America/Puerto_Rico", "America/Detroit", "America/Boise",
]  # fmt: skip
GIVEN = [
    "Olena", "Andrii", "Iryna", "Dmytro", "Yuliia", "Maria", "José", "Ana", "Carlos",
    "Daniela", "Luis", "Ahmad", "Fatima", "Mohammad", "Zahra", "Jean", "Rose", "Wilner",
    "Nadia", "Omar", "Sofía", "Pavlo", "Mariam", "Esther",
]  # fmt: skip
# "Example", "sample" or "test" in Ukrainian, Spanish, Haitian Creole, Dari and Pashto.
FAMILY = [
    "Prykladenko", "Prykladova", "Zrazkovych", "Testenko", "Ejemplo", "Muestra",
    "Pruebas", "Ficticio", "Ejémplez", "Egzanp", "Tèsfiktif", "Misal", "Namuna",
    "Azmoyish", "Nmunawal", "Sampleton", "Exampleby", "Fakeley",
]  # fmt: skip
# Forms a parolee on this program plausibly files, most likely first.
FORMS = {
    Program.U4U: [Form.I131, Form.I131, Form.I821, Form.I765],
    Program.OAW: [Form.I589, Form.I131, Form.I765],
    Program.CHNV: [Form.I589, Form.I485, Form.I821, Form.I765],
    Program.CAM: [Form.I131, Form.I589],
    Program.MEDICAL: [Form.I131, Form.I765],
    Program.OTHER: [Form.I589, Form.I765],
}
RECEIPT_PREFIXES = ["IOE", "IOE", "EAC", "WAC", "LIN", "SRC", "NBC", "MSC", "YSC"]
# Re-paroled programs: the case holds an earlier grant, and the approved request for this one.
REPAROLED = (Program.U4U, Program.OAW, Program.CAM)


@dataclass(frozen=True)
class FakeGrant:
    start: date
    expiry: date
    source: GrantSource


@dataclass(frozen=True)
class FakeFiling:
    form: Form
    filed: date
    # The receipt number's letters; its digits come from the case's id (unique per database).
    receipt_prefix: str | None
    approved_on: date | None = None


@dataclass(frozen=True)
class FakeCase:
    """One fake case, with everything the tables need of it."""

    number: int
    external_id: str
    full_name: str
    phone: str | None
    a_number: str | None
    language: str
    timezone: str
    citizenship: str
    arrival: date
    program: Program
    grants: tuple[FakeGrant, ...]
    filings: tuple[FakeFiling, ...]
    work_permit_expiry: date | None
    # None: no representative; 0: the feed benchmark's; 1..REPRESENTATIVES: the others.
    representative: int | None
    consent: bool
    # When the person replied STOP, if they did.
    consent_withdrawn_at: datetime | None
    created_at: datetime
    # The status the case was imported with, and where it stands now.
    initial_status: Status
    status: Status
    # When the daily job moved it to `expired` (None if it did not).
    expired_at: datetime | None

    @property
    def end(self) -> date:
        return self.grants[-1].expiry


def external_id(seed: int, number: int) -> str:
    """The external id of case `number` of `seed`: sorts in number order."""
    return f"SYN{seed}-{number:07d}"


def fake_cases(seed: int, start: int, stop: int, now: datetime) -> Iterator[FakeCase]:
    """Cases number `start` to `stop - 1` of `seed`, with dates around `now`."""
    if not 0 <= start <= stop <= MAX_CASES:
        raise ValueError(f"case numbers run from 0 to {MAX_CASES:,}")
    for block in range(start // BLOCK, -(-stop // BLOCK)):
        rng = random.Random(f"tracker synthetic {seed} {block}")
        for number in range(block * BLOCK, (block + 1) * BLOCK):
            case = _fake_case(rng, seed, number, now)
            if start <= number < stop:
                yield case
            elif number >= stop:
                return


def _fake_case(rng: random.Random, seed: int, number: int, now: datetime) -> FakeCase:
    today = now.date()
    program, length, countries = _program(rng)
    country = rng.choice(countries)
    zone = rng.choice(ZONES)
    # The current grant began on or before today, and ended at most a year ago: ends run
    # from a year ago to a grant's length (two years for most programs) ahead.
    start = today - timedelta(days=rng.randint(0, 365 + length))
    end = start + timedelta(days=length)
    grants = [FakeGrant(start, end, GrantSource.INITIAL)]
    filings = []
    if program in REPAROLED and rng.random() < 0.12:
        # Re-paroled: an earlier grant, and the I-131 filed 120 days before it ran out.
        first = FakeGrant(start - timedelta(days=length), start, GrantSource.INITIAL)
        grants = [first, FakeGrant(start, end, GrantSource.REPAROLE)]
        filed = start - timedelta(days=120)
        filings.append(FakeFiling(Form.I131, filed, rng.choice(RECEIPT_PREFIXES), start))
    arrival = grants[0].start
    if rng.random() < 0.05:
        # A trip abroad on advance parole and back: a later last arrival.
        arrival = min(arrival + timedelta(days=rng.randrange(30, 300)), today)
    created = _between(rng, datetime.combine(grants[0].start, time(14), UTC), now, 90)
    if rng.random() < 0.3:
        filings.append(_filing(rng, program, grants[-1].start, created.date(), today))
    phone = _phone(rng) if rng.random() < 0.85 else None
    consent = phone is not None and rng.random() < 0.8
    withdrawn = _between(rng, created, now, 365) if consent and rng.random() < 0.03 else None
    initial = _initial_status(filings)
    status, expired_at = initial, None
    pending = any(f.approved_on is None and f.form in PROTECTING for f in filings)
    if end < now.astimezone(ZoneInfo(zone)).date() and not pending:
        # The daily job found parole ended, with nothing pending, the morning after.
        status = Status.EXPIRED
        expired_at = min(datetime.combine(end + timedelta(days=1), time(11), UTC), now)
    return FakeCase(
        number=number,
        external_id=external_id(seed, number),
        full_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
        phone=phone,
        a_number=f"A{rng.randrange(10**8, 10**9)}" if rng.random() < 0.4 else None,
        language=rng.choice(LANGUAGES.get(country, SPANISH)),
        timezone=zone,
        citizenship=country,
        arrival=arrival,
        program=program,
        grants=tuple(grants),
        filings=tuple(filings),
        work_permit_expiry=start + timedelta(days=364) if rng.random() < 0.3 else None,
        representative=_representative(rng, number),
        consent=consent,
        consent_withdrawn_at=withdrawn,
        created_at=created,
        initial_status=initial,
        status=status,
        expired_at=expired_at,
    )


def _between(rng: random.Random, earliest: datetime, now: datetime, days: int) -> datetime:
    """A moment up to `days` after `earliest`, and at least a minute before `now`."""
    latest = now - timedelta(minutes=1)
    span = min(timedelta(days=days), latest - earliest)
    return min(earliest + max(span, timedelta(0)) * rng.random(), latest)


@functools.cache
def _program_table() -> tuple[list[Program], dict[Program, tuple[int, list[str]]]]:
    weighted = [p for p, share, _, _ in PROGRAMS for _ in range(share)]
    return weighted, {p: (length, countries) for p, _, length, countries in PROGRAMS}


def _program(rng: random.Random) -> tuple[Program, int, list[str]]:
    weighted, details = _program_table()
    program = rng.choice(weighted)
    length, countries = details[program]
    return program, length, countries


def _filing(
    rng: random.Random, program: Program, grant_start: date, created: date, today: date
) -> FakeFiling:
    form = rng.choice(FORMS[program])
    # Filed during the current grant, after the case was entered, and not in the future.
    earliest = max(grant_start, created)
    filed = earliest + timedelta(days=rng.randrange(max((today - earliest).days, 1)))
    prefix = rng.choice(RECEIPT_PREFIXES) if rng.random() < 0.8 else None
    return FakeFiling(form, min(filed, today), prefix)


def _initial_status(filings: list[FakeFiling]) -> Status:
    """As an import sets it: pending on the form filed, else paroled."""
    pending = [f.form for f in filings if f.approved_on is None]
    return PENDING_STATUS.get(pending[0], Status.PAROLED) if pending else Status.PAROLED


def _representative(rng: random.Random, number: int) -> int | None:
    if number % FEED_STRIDE == 0 and number < FEED_CLIENTS * FEED_STRIDE:
        return 0
    return rng.randint(1, REPRESENTATIVES) if rng.random() < 0.6 else None


@functools.cache
def _area_codes() -> tuple[str, ...]:
    """US area codes where 555-01XX is a valid (and fictional) number: about 450."""
    return tuple(
        str(code)
        for code in range(200, 1000)
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{code}5550150"))
    )


def _phone(rng: random.Random) -> str:
    return f"+1{rng.choice(_area_codes())}55501{rng.randrange(100):02d}"
