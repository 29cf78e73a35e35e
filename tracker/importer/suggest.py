"""`tracker import suggest FILE`: a mapping proposed from a file's header and first rows,
as TOML to edit and keep.

Each column is matched to a field through a known mapping's names; date columns get the
formats their values read in; values our fields do not take (a language's name, a
program's) are listed with a guess, or left for a person to fill in.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from tracker.importer.mapping import DATE_FIELDS, TAKES_AS_IS, ColumnMapping, squeeze
from tracker.importer.rows import REQUIRED
from tracker.importer.sources import Source

SAMPLE_ROWS = 500
MAX_VALUES = 30
# Tried in this order: the US order first, as US case systems write dates.
DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%Y/%m/%d", "%d.%m.%Y", "%m-%d-%Y")


@dataclass
class _Column:
    name: str
    our_field: str | None = None
    samples: list[str] = field(default_factory=list)


def suggest_mapping(source: Source, known: Sequence[ColumnMapping], name: str) -> str:
    """A mapping for `source`, as commented TOML, using the names and values of the
    `known` mappings (the first that knows a column wins)."""
    columns = [_Column(n, _field_for(n, known)) for n in source.header]
    seen: set[str] = set()
    for column in columns:
        # One column per field: a second match is left for a person to choose.
        if column.our_field in seen:
            column.our_field = None
        elif column.our_field:
            seen.add(column.our_field)
    for row in islice(source.rows(), SAMPLE_ROWS):
        for column, cell in zip(columns, row.cells, strict=False):
            text = cell.strip() if isinstance(cell, str) else ""
            if text and text not in column.samples:
                column.samples.append(text)
    lines = [
        f"# Proposed from the {len(columns)} columns of this file: check every entry,",
        "# then import with: tracker import FILE --mapping THIS_FILE.toml",
        f"name = {_quoted(name)}",
        "",
    ]
    for column in columns:
        if column.our_field:
            lines += _field_lines(column, known)
    missing = [r for r in REQUIRED if r not in seen]
    if missing:
        lines.append("# Required fields with no column found: name the column that holds each.")
        lines += [f'# [fields.{m}]\n# columns = ["..."]' for m in missing]
    unused = [c.name for c in columns if not c.our_field and c.name]
    if unused:
        lines.append("# Columns left aside (not imported): " + ", ".join(map(_quoted, unused)))
    return "\n".join(lines) + "\n"


def _field_for(name: str, known: Sequence[ColumnMapping]) -> str | None:
    key = squeeze(name)
    return next(
        (
            f
            for mapping in known
            for f, plan in mapping.fields.items()
            if key in {squeeze(c) for c in plan.columns}
        ),
        None,
    )


def _field_lines(column: _Column, known: Sequence[ColumnMapping]) -> list[str]:
    assert column.our_field is not None
    lines = [f"[fields.{column.our_field}]", f"columns = [{_quoted(column.name)}]"]
    if column.our_field in DATE_FIELDS:
        lines += _formats(column.samples)
    check = TAKES_AS_IS.get(column.our_field)
    if check is not None:
        lines += _values(column, known, check)
    return [*lines, ""]


def _formats(samples: list[str]) -> list[str]:
    texts = [s for s in samples if not _reads(s, "%Y-%m-%d")]
    if not texts:
        return []
    fits = [f for f in DATE_FORMATS if all(_reads(t, f) for t in texts)]
    if not fits:
        example = 'formats = ["%m/%d/%Y"]'
        return [f"# No date format reads {_quoted(texts[0])}: add one, like {example}"]
    lines = [f"formats = [{_quoted(fits[0])}]"]
    if len(fits) > 1:
        lines.append(f"# These dates also read as {', '.join(fits[1:])}: check which is meant.")
    return lines


def _reads(text: str, form: str) -> bool:
    try:
        datetime.strptime(text, form)
    except ValueError:
        return False
    return True


def _values(
    column: _Column, known: Sequence[ColumnMapping], check: Callable[[str], bool]
) -> list[str]:
    assert column.our_field is not None
    guesses: dict[str, str] = {}
    for mapping in reversed(known):
        plan = mapping.fields.get(column.our_field)
        guesses |= plan.values if plan else {}
    foreign = [s for s in column.samples if not check(s)][:MAX_VALUES]
    if not foreign:
        return []
    lines = [f"[fields.{column.our_field}.values]"]
    for value in foreign:
        guess = guesses.get(squeeze(value))
        if guess is not None:
            lines.append(f"{_quoted(value)} = {_quoted(guess)}")
        else:
            lines.append(f'# {_quoted(value)} = "?"  (no guess: write our value)')
    return lines


def _quoted(text: str) -> str:
    # A JSON string is a TOML basic string (same escapes).
    return json.dumps(text, ensure_ascii=False)
