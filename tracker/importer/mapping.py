"""Column mappings, kept as TOML: which source column gives each of our fields, how its
values and dates read, and constants for a whole file.

Our own header needs no mapping (`OURS`, exact and strict). A mapping matches column
names ignoring case, spaces and punctuation, leaves other columns aside, and turns each
row's cells into the text our row parser checks: dates as YYYY-MM-DD, appointment times
as YYYY-MM-DD HH:MM, numbers without a trailing ".0", mapped values as ours.
"""

import re
import tomllib
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from tracker.domain.appointments import LOCAL_FORMAT
from tracker.domain.contact import normalise_language
from tracker.domain.model import Program
from tracker.errors import InvalidInputError
from tracker.importer.rows import COLUMNS, CONSENT, REQUIRED, RowError, check_header
from tracker.importer.sources import Cell

DATE_FIELDS = frozenset(
    {"arrival_date", "parole_start", "parole_expiry", "work_permit_expiry", "filed_date",
     "birth_date", "parole_fee_due"}
)  # fmt: skip
DATETIME_FIELDS = frozenset({"appointment_at"})
EXAMPLE_DAY = datetime(2024, 3, 5, 9, 30)
# Excel's serial numbers: day 1 is 1900-01-01 (1900 system; 60 is Excel's 29 February
# 1900, a day that never was) or 1904-01-02 (1904 system).
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_LAST_SERIAL = 2_958_465  # 9999-12-31
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOP_KEYS = frozenset({"name", "description", "fields", "constants"})
_FIELD_KEYS = frozenset({"columns", "values", "formats"})


def _accepts(normalise: Callable[[str], object], value: str) -> bool:
    try:
        normalise(value)
    except ValueError:
        return False
    return True


# Fields whose values a mapping may translate, and what each takes as it is.
TAKES_AS_IS: MappingType[str, Callable[[str], bool]] = {
    "language": lambda v: _accepts(normalise_language, v),
    "program": lambda v: v.lower() in {p.value.lower() for p in Program},
    "sms_consent": lambda v: v.lower() in CONSENT,
    "citizenship": lambda v: len(v) == 2 and v.isalpha(),
}


class MappingError(InvalidInputError):
    """A mapping file that cannot be used, naming the file and the key."""


def squeeze(name: str) -> str:
    """A column name or value as matched: case, spaces and punctuation ignored."""
    return re.sub(r"[\W_]+", "", name.casefold())


@dataclass(frozen=True)
class FieldMap:
    """Where one of our fields comes from, and how its values read."""

    columns: tuple[str, ...]
    # Source value (squeezed) -> our value.
    values: MappingType[str, str] = field(default_factory=dict)
    formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnMapping:
    """A whole mapping: our field -> FieldMap, and constants for every row."""

    name: str
    fields: MappingType[str, FieldMap]
    constants: MappingType[str, str] = field(default_factory=dict)
    description: str = ""
    # The file must carry our header exactly: unknown columns are refused, not ignored.
    strict: bool = False


OURS = ColumnMapping(
    name="ours",
    fields={column: FieldMap((column,)) for column in COLUMNS},
    description="The tracker's own CSV header",
    strict=True,
)


def parse_mapping(text: str, where: str) -> ColumnMapping:
    """Read a mapping's TOML; MappingError naming `where` and the key at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{where}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key {unknown[0]!r}; use {', '.join(_TOP_KEYS)}")
    name = data.get("name", Path(where).stem)
    if not isinstance(name, str) or not name.strip():
        raise MappingError(f"{where}: name must be text")
    fields_table = data.get("fields", {})
    if not isinstance(fields_table, dict):
        raise MappingError(f"{where}: [fields] must be a table of our fields")
    fields = {key: _field(value, f"{where}: fields.{key}") for key, value in fields_table.items()}
    constants = _strings(data.get("constants", {}), f"{where}: constants")
    for key in [*fields, *constants]:
        if key not in COLUMNS:
            raise MappingError(
                f"{where}: {key!r} is not one of our fields; use one of {', '.join(COLUMNS)}"
            )
    both = sorted(set(fields) & set(constants))
    if both:
        raise MappingError(f"{where}: {both[0]!r} is both a column and a constant; keep one")
    description = data.get("description", "")
    return ColumnMapping(name.strip(), fields, constants, str(description))


def _field(value: object, where: str) -> FieldMap:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a table with columns = [...]")
    unknown = sorted(set(value) - _FIELD_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key {unknown[0]!r}; use columns, values, formats")
    columns = value.get("columns")
    if isinstance(columns, str):
        columns = [columns]
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and squeeze(c) for c in columns)
    ):
        raise MappingError(f"{where}.columns must list the source's column names")
    given = _strings(value.get("values", {}), f"{where}.values")
    values = {squeeze(k): v for k, v in given.items()}
    formats = value.get("formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise MappingError(f'{where}.formats must list date formats such as "%m/%d/%Y"')
    for form in formats:
        if "%" not in form or _reads_back(form) is None:
            raise MappingError(f"{where}.formats: {form!r} is not a date format like %m/%d/%Y")
    return FieldMap(tuple(columns), values, tuple(formats))


def _reads_back(form: str) -> datetime | None:
    try:
        return datetime.strptime(EXAMPLE_DAY.strftime(form), form)
    except ValueError:
        return None


def _strings(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise MappingError(f"{where} must be a table of text = text")
    return dict(value)


def mapping_named(ref: str, mappings_dir: Path) -> ColumnMapping:
    """A mapping by file path, or by the name of one shipped in `mappings_dir`."""
    path = Path(ref)
    if not path.is_file():
        path = mappings_dir / f"{ref}.toml"
    if not path.is_file():
        shipped = sorted(p.stem for p in mappings_dir.glob("*.toml"))
        raise MappingError(
            f"no mapping {ref!r}: give a TOML file's path or one of {', '.join(shipped)}"
        )
    return parse_mapping(path.read_text(encoding="utf-8"), str(path))


def shipped(mappings_dir: Path) -> list[ColumnMapping]:
    """Every mapping in `mappings_dir`, the generic one first."""
    paths = sorted(mappings_dir.glob("*.toml"), key=lambda p: (p.stem != "generic", p.stem))
    return [parse_mapping(p.read_text(encoding="utf-8"), str(p)) for p in paths]


# --- binding a mapping to a file's header ----------------------------------------------


@dataclass(frozen=True)
class Binding:
    """A mapping matched to one file's header: the position each field reads from."""

    mapping: ColumnMapping
    header: tuple[str, ...]
    positions: MappingType[str, int]
    # The file's columns no field takes (left aside, named in the report).
    unused: tuple[str, ...] = ()

    def source_name(self, our_field: str) -> str:
        """The column as the file names it (or "constant F" for a constant)."""
        if our_field in self.positions:
            return self.header[self.positions[our_field]]
        if our_field in self.mapping.constants:
            return f"constant {our_field}"
        return our_field

    def locate(self, error: RowError) -> RowError:
        """`error`, naming the column as the file does."""
        if not error.column or error.column not in COLUMNS:
            return error
        return RowError(error.line, self.source_name(error.column), error.value, error.reason)

    def values(
        self, number: int, cells: Sequence[Cell], date1904: bool
    ) -> tuple[dict[str, str], list[RowError]]:
        """One row's cells as our fields' text, and the values the mapping cannot read."""
        found: dict[str, str] = dict(self.mapping.constants)
        errors: list[RowError] = []
        for our_field, position in self.positions.items():
            cell = cells[position] if position < len(cells) else ""
            plan = self.mapping.fields.get(our_field, FieldMap((our_field,)))
            try:
                found[our_field] = _read(cell, our_field, plan, date1904)
            except _Unreadable as exc:
                source = self.header[position]
                errors.append(RowError(number, source, _shown(cell), exc.reason))
        return found, errors


def bind(mapping: ColumnMapping, header: list[str]) -> Binding | list[RowError]:
    """Match `mapping` to a header; every problem, reported on line 1, if it cannot."""
    if mapping.strict:
        exact = {name: i for i, name in enumerate(header) if name in COLUMNS}
        return check_header(header) or Binding(mapping, tuple(header), exact)
    by_name: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        if squeeze(name):
            by_name.setdefault(squeeze(name), []).append(position)
    errors = []
    positions: dict[str, int] = {}
    taken: dict[int, str] = {}
    for our_field, plan in mapping.fields.items():
        match = next((by_name[squeeze(c)] for c in plan.columns if squeeze(c) in by_name), None)
        if match is None:
            continue
        # Found, even if refused below: not also "not mapped".
        positions[our_field] = -1
        if len(match) > 1:
            names = " and ".join(f"{header[p]!r}" for p in match)
            errors.append(RowError(1, header[match[0]], "", f"columns {names} both match "
                                   f"{our_field}: rename one or name the one to use"))  # fmt: skip
            continue
        if match[0] in taken:
            errors.append(RowError(1, header[match[0]], "", f"this column is mapped to both "
                                   f"{taken[match[0]]} and {our_field}: keep one"))  # fmt: skip
            continue
        positions[our_field], taken[match[0]] = match[0], our_field
    for required in REQUIRED:
        if required not in positions and required not in mapping.constants:
            wanted = mapping.fields.get(required)
            looked = ", ".join(repr(c) for c in wanted.columns) if wanted else ""
            reason = (
                f"required field {required} is not mapped: no column {looked} in this file"
                if wanted
                else f"required field {required} is not mapped: add [fields.{required}] with "
                "the column that holds it"
            )
            errors.append(RowError(1, "", "", reason))
    unused = tuple(n for p, n in enumerate(header) if p not in taken and squeeze(n))
    return errors or Binding(mapping, tuple(header), positions, unused)


# --- reading one cell ------------------------------------------------------------------


class _Unreadable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read(cell: Cell, our_field: str, plan: FieldMap, date1904: bool) -> str:
    if isinstance(cell, str) and not plan.values and not plan.formats:
        # Text read as it is (our own header's every cell): the row parser checks it.
        return cell.strip()
    if our_field in DATE_FIELDS:
        text = _date_text(cell, plan.formats, date1904)
    elif our_field in DATETIME_FIELDS:
        text = _datetime_text(cell, plan.formats, date1904)
    else:
        text = _plain(cell)
    if plan.values and text:
        mapped = plan.values.get(squeeze(text))
        if mapped is not None:
            return mapped
        as_is = TAKES_AS_IS.get(our_field)
        ours = as_is(text) if as_is else squeeze(text) in {squeeze(v) for v in plan.values.values()}
        if not ours:
            raise _Unreadable(
                "no mapping for this value; add it to the mapping's values for this column"
            )
    return text


def _plain(cell: Cell) -> str:
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        # A phone number or id typed into a spreadsheet arrives as 12025550123.0.
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.strftime(LOCAL_FORMAT)
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()


def _date_text(cell: Cell, formats: tuple[str, ...], date1904: bool) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return serial_instant(cell, date1904).date().isoformat()
    text = _plain(cell)
    return _by_formats(text, formats).date().isoformat() if _needs_format(text) else text


def _datetime_text(cell: Cell, formats: tuple[str, ...], date1904: bool) -> str:
    if isinstance(cell, datetime):
        return cell.strftime(LOCAL_FORMAT)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return serial_instant(cell, date1904).strftime(LOCAL_FORMAT)
    text = _plain(cell)
    if not text or not formats:
        return text
    try:
        datetime.strptime(text, LOCAL_FORMAT)
        return text
    except ValueError:
        return _by_formats(text, formats).strftime(LOCAL_FORMAT)


def _needs_format(text: str) -> bool:
    return bool(text) and not _ISO_DATE.match(text)


def _by_formats(text: str, formats: tuple[str, ...]) -> datetime:
    for form in formats:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    forms = ["YYYY-MM-DD"] + [f"{f} (like {EXAMPLE_DAY.strftime(f)})" for f in formats]
    raise _Unreadable("not a date in the form " + " or ".join(forms))


def serial_instant(serial: float, date1904: bool) -> datetime:
    """An Excel serial number as the local date and time it stands for."""
    if not 1 <= serial <= _LAST_SERIAL:
        raise _Unreadable(f"{serial:g} is not an Excel date (serial numbers run from 1)")
    if date1904:
        return _EPOCH_1904 + timedelta(days=serial)
    if 60 <= serial < 61:
        raise _Unreadable("Excel's 29 February 1900 never was; check the date")
    # Before Excel's phantom 29 February 1900 the serials are one day behind.
    return _EPOCH_1900 + timedelta(days=serial + (1 if serial < 60 else 0))


def _shown(cell: Cell) -> str:
    return cell if isinstance(cell, str) else str(cell)
