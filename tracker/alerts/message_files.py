"""Reading and checking the message files (`config/messages/<language>.toml`).

Parsing is pure; `load_catalog` is the only function that reads files. A problem raises
ConfigError with the file, the line and the reason: a missing or extra key (against
`en.toml`), an unknown placeholder or one the English uses and a translation lacks, a
missing label or plural form, a keyword that means two things, a back-translation that
does not match its file.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from tracker.alerts.messages import (
    DATE_FORMAT,
    DAY_WORDS,
    KEYWORD_INTENTS,
    LANGUAGES,
    LINE_FORMATS,
    MESSAGE_KEYS,
    PLACEHOLDERS,
    REFERENCE,
    TWILIO_KEYWORDS,
    Catalog,
    LanguageFile,
    allowed_placeholders,
    normalise_keyword,
    placeholders,
    plural_categories,
    required_placeholders,
)
from tracker.domain.model import DeadlineKind
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.errors import ConfigError

_TOP_LEVEL = (
    "language",
    "babel_locale",
    "needs_review",
    "keywords",
    "days",
    "formats",
    "messages",
    "labels",
)
_OPTIONAL = ("date_format", "month_names")
BACK = ".back"
# What a back-translation holds: the texts of its file, in English.
_BACK_TABLES = ("messages", "labels", "days", "formats")

Source = tuple[str, str]


def load_catalog(directory: Path, languages: Sequence[str] = LANGUAGES) -> Catalog:
    """Read `<language>.toml` for English, every language given and every other file there,
    and each translation's `<language>.back.toml`."""
    codes = list(dict.fromkeys([REFERENCE, *languages]))
    stems = sorted(p.stem for p in directory.glob("*.toml") if not p.stem.endswith(BACK))
    codes += [stem for stem in stems if stem not in codes]
    texts = {code: _read(directory / f"{code}.toml", f"no message file for language {code!r}")
             for code in codes}  # fmt: skip
    backs = {
        code: _read(
            directory / f"{code}{BACK}.toml",
            f"no English back-translation for language {code!r} (every translation has one)",
        )
        for code in codes
        if code != REFERENCE
    }
    return parse_catalog(texts, backs)


def _read(path: Path, missing: str) -> Source:
    try:
        return str(path), path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(str(path), None, missing) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read the file: {exc}") from exc


def parse_catalog(
    texts: Mapping[str, Source], backs: Mapping[str, Source] | None = None
) -> Catalog:
    """Check every language's (source, text) and its back-translation; English is the
    reference for the others. `backs` None: back-translations are not checked."""
    if REFERENCE not in texts:
        raise ConfigError(f"{REFERENCE}.toml", None, "the English file is required")
    source, text = texts[REFERENCE]
    reference = parse_language(text, source, REFERENCE, None)
    files = {REFERENCE: reference}
    for code, (source, text) in texts.items():
        if code == REFERENCE:
            continue
        file = parse_language(text, source, code, reference)
        if backs is not None:
            if code not in backs:
                raise ConfigError(source, None, f"no English back-translation for {code!r}")
            back_source, back_text = backs[code]
            file = parse_back(back_text, back_source, file)
        files[code] = file
    _check_keyword_conflicts(files, texts)
    return Catalog(files)


def parse_back(text: str, source: str, file: LanguageFile) -> LanguageFile:
    """Check a back-translation against its file: the same keys and placeholders."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, ("language", *_BACK_TABLES))
    if data.get("language") != file.code:
        raise where.error(None, None, "language", f"must be {file.code!r}, as in its file")
    back: dict[str, str] = {}
    for table in _BACK_TABLES:
        if table not in data:
            raise ConfigError(source, None, f"missing table [{table}]")
        ours = _flatten(_table(data[table], where, table))
        theirs = _texts_of(file, table)
        for key, value in ours.items():
            if key not in theirs:
                raise where.key_error(table, key, f"not a key of {file.code}.toml [{table}]")
            english = _string(value, where, table, key)
            if sorted(placeholders(english)) != sorted(placeholders(theirs[key])):
                reason = f"placeholders differ from {file.code}.toml's text of this key"
                raise where.key_error(table, key, reason)
            back[f"{table}.{key}"] = english
        missing = sorted(set(theirs) - set(ours))
        if missing:
            reason = f"missing back-translation of {missing[0]!r} ({file.code}.toml has it)"
            raise where.table_error(table, reason)
    return replace(file, back=back)


def _texts_of(file: LanguageFile, table: str) -> Mapping[str, str]:
    tables: dict[str, Mapping[str, str]] = {
        "messages": file.messages,
        "labels": file.labels,
        "days": file.days,
        "formats": file.formats,
    }
    return tables[table]


def parse_language(
    text: str, source: str, code: str, reference: LanguageFile | None
) -> LanguageFile:
    """Check one language file; `reference` is the English file (None for English itself)."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    for key in data:
        if key not in _TOP_LEVEL + _OPTIONAL:
            raise where.error(None, None, key, "unknown top-level key")
    for key in _TOP_LEVEL:
        if key not in data:
            raise ConfigError(source, None, f"missing required key {key!r}")
    if data["language"] != code:
        raise where.error(None, None, "language", f"must be {code!r}, the name of the file")
    babel_locale = _string(data["babel_locale"], where, None, "babel_locale")
    try:
        Locale.parse(babel_locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise where.error(
            None, None, "babel_locale", f"unknown babel locale {babel_locale!r}"
        ) from exc
    expected = set(reference.messages) if reference else set(MESSAGE_KEYS)
    messages = _messages(data["messages"], where, expected, reference)
    labels = _labels(data["labels"], where)
    days = _days(data["days"], where, babel_locale)
    formats = _formats(data["formats"], where)
    english = reference.keywords if reference else None
    keywords = _keywords(data["keywords"], where, english)
    date_format = DATE_FORMAT
    if "date_format" in data:
        date_format = _date_format(data["date_format"], where, babel_locale)
    months = _month_names(data.get("month_names"), where)
    review = _review(data["needs_review"], where, messages, days)
    lines = {key: where.key_line("messages", key) for key in messages}
    return LanguageFile(
        code,
        babel_locale,
        review,
        keywords,
        messages,
        labels,
        days,
        formats,
        date_format,
        months,
        source=source,
        lines=lines,
    )


def _messages(
    raw: Any, where: TomlLocator, expected: set[str], reference: LanguageFile | None
) -> dict[str, str]:
    table = _table(raw, where, "messages")
    messages = _flatten(table)
    for key, text in messages.items():
        if key not in expected:
            raise where.key_error("messages", key, "unknown message key (not in en.toml)")
        _string(text, where, "messages", key)
        try:
            names = placeholders(text)
        except ValueError as exc:
            raise where.key_error("messages", key, f"broken placeholder: {exc}") from exc
        allowed = allowed_placeholders(key)
        for name in names:
            if name not in PLACEHOLDERS:
                known = ", ".join(f"{{{n}}}" for n in sorted(PLACEHOLDERS))
                reason = f"unknown placeholder {{{name}}} (known: {known})"
                raise where.key_error("messages", key, reason)
            if name not in allowed:
                reason = f"placeholder {{{name}}} is not available in this message"
                raise where.key_error("messages", key, reason)
        # A translation shows what the English shows; English shows what the key needs.
        needed = set(placeholders(reference.messages[key])) if reference else set()
        needed |= required_placeholders(key)
        absent = sorted(needed - set(names))
        if absent:
            source = "the English text has it" if reference else "every text of this key has it"
            reason = f"missing placeholder {{{absent[0]}}} ({source})"
            raise where.key_error("messages", key, reason)
        if "org" in required_placeholders(key) and not text.startswith("{org}"):
            reason = "must begin with {org}: people must see who writes before anything else"
            raise where.key_error("messages", key, reason)
    missing = sorted(expected - set(messages))
    if missing:
        raise where.table_error("messages", f"missing message key {missing[0]!r} (en.toml has it)")
    return {key: messages[key] for key in sorted(messages)}


def _labels(raw: Any, where: TomlLocator) -> dict[str, str]:
    table = _table(raw, where, "labels")
    kinds = {kind.value for kind in DeadlineKind}
    for key, text in table.items():
        if key not in kinds:
            raise where.key_error("labels", key, "unknown deadline kind")
        _string(text, where, "labels", key)
    for kind in DeadlineKind:
        if kind.value not in table:
            raise where.table_error("labels", f"missing label for deadline kind {kind.value!r}")
    return {kind.value: table[kind.value] for kind in DeadlineKind}


def _days(raw: Any, where: TomlLocator, babel_locale: str) -> dict[str, str]:
    table = _table(raw, where, "days")
    forms = plural_categories(babel_locale)
    known = set(DAY_WORDS) | forms
    for key, text in table.items():
        if key not in known:
            reason = f"unknown form (the plural categories of {babel_locale} are "
            reason += ", ".join(sorted(forms)) + ")"
            raise where.key_error("days", key, reason)
        _string(text, where, "days", key)
        try:
            names = placeholders(text)
        except ValueError as exc:
            raise where.key_error("days", key, f"broken placeholder: {exc}") from exc
        wanted = [] if key in DAY_WORDS else ["n"]
        if names != wanted:
            reason = "takes no placeholder" if not wanted else "must use {n}, the number, once"
            raise where.key_error("days", key, reason)
    for key in (*DAY_WORDS, *sorted(forms)):
        if key not in table:
            reason = f"missing {key!r}: {babel_locale} needs " + ", ".join(
                [*DAY_WORDS, *sorted(forms)]
            )
            raise where.table_error("days", reason)
    return dict(table)


def _formats(raw: Any, where: TomlLocator) -> dict[str, str]:
    table = _table(raw, where, "formats")
    for key, text in table.items():
        if key not in LINE_FORMATS:
            raise where.key_error("formats", key, "unknown format (date_line, change_line)")
        _string(text, where, "formats", key)
        try:
            names = set(placeholders(text))
        except ValueError as exc:
            raise where.key_error("formats", key, f"broken placeholder: {exc}") from exc
        if names != LINE_FORMATS[key]:
            wanted = ", ".join(f"{{{n}}}" for n in sorted(LINE_FORMATS[key]))
            raise where.key_error("formats", key, f"must use exactly {wanted}")
    for key in LINE_FORMATS:
        if key not in table:
            raise where.table_error("formats", f"missing format {key!r}")
    return dict(table)


def _keywords(
    raw: Any, where: TomlLocator, english: Mapping[str, frozenset[str]] | None
) -> dict[str, frozenset[str]]:
    table = _table(raw, where, "keywords")
    result: dict[str, frozenset[str]] = {}
    for key, words in table.items():
        if key not in KEYWORD_INTENTS:
            raise where.key_error("keywords", key, "unknown intent")
        if not isinstance(words, list) or not words:
            raise where.key_error("keywords", key, "must be a non-empty list of words")
        result[key] = frozenset(_string(word, where, "keywords", key) for word in words)
    for intent in KEYWORD_INTENTS:
        if intent not in result:
            raise where.table_error("keywords", f"missing keyword list {intent!r}")
        required = english[intent] if english else frozenset(TWILIO_KEYWORDS[intent])
        have = {normalise_keyword(word) for word in result[intent]}
        absent = sorted(w for w in required if normalise_keyword(w) not in have)
        if absent:
            where_from = "en.toml" if english else "Twilio"
            reason = f"must include the {where_from} words {', '.join(absent)}"
            raise where.key_error("keywords", intent, reason)
    return result


def _date_format(raw: Any, where: TomlLocator, babel_locale: str) -> str:
    pattern = _string(raw, where, None, "date_format")
    try:
        sample = format_date(date(2026, 9, 28), pattern, locale=babel_locale)
    except (ValueError, KeyError, AttributeError) as exc:
        raise where.error(None, None, "date_format", f"not a babel date format: {exc}") from exc
    if "9" in sample.replace("2026", "").replace("28", "") or "28" not in sample:
        raise where.error(
            None, None, "date_format", "must show the day and the month's name: 3/4 or 4/3?"
        )
    return pattern


def _month_names(raw: Any, where: TomlLocator) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 12:
        raise where.error(None, None, "month_names", "must list the 12 months, January first")
    return tuple(_string(name, where, None, "month_names") for name in raw)


def _review(
    raw: Any, where: TomlLocator, messages: Mapping[str, str], days: Mapping[str, str]
) -> frozenset[str]:
    if not isinstance(raw, list):
        raise where.error(None, None, "needs_review", "must be a list of keys")
    known = {
        *messages,
        *(f"labels.{kind.value}" for kind in DeadlineKind),
        *(f"keywords.{intent}" for intent in KEYWORD_INTENTS),
        *(f"days.{form}" for form in days),
        *(f"formats.{name}" for name in LINE_FORMATS),
        "month_names",
    }
    for entry in raw:
        if entry not in known:
            raise where.error(None, None, "needs_review", f"unknown key {entry!r}")
    return frozenset(raw)


def _check_keyword_conflicts(
    files: Mapping[str, LanguageFile], texts: Mapping[str, tuple[str, str]]
) -> None:
    """One word must mean one thing in every language: the reply parser tries them all."""
    seen: dict[str, tuple[str, str]] = {}
    for code, file in files.items():
        for intent in KEYWORD_INTENTS:
            for word in sorted(file.keywords[intent]):
                folded = normalise_keyword(word)
                first = seen.setdefault(folded, (intent, code))
                if first[0] != intent:
                    source, text = texts[code]
                    reason = (
                        f"keyword {word!r} means {intent!r} here "
                        f"but {first[0]!r} in {first[1]}.toml"
                    )
                    raise TomlLocator(text, source).key_error("keywords", intent, reason)


def _table(raw: Any, where: TomlLocator, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise where.error(None, None, name, f"write {name} as a [{name}] table")
    return raw


def _string(value: Any, where: TomlLocator, table: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        if table is None:
            raise where.error(None, None, key, "must be a non-empty string")
        raise where.key_error(table, key, "must be a non-empty string")
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`reply.stop = "..."` parses as nested tables: join the names back with dots."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
