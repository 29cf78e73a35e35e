"""The message catalog: every text within its SMS budget, localised dates, and loader
errors that say file, line and reason."""

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel import Locale

from tracker.alerts.compose import AT_RISK, Composer, DeadlineView
from tracker.alerts.message_files import load_catalog
from tracker.alerts.messages import (
    LANGUAGES,
    MESSAGE_KEYS,
    Catalog,
    Value,
    allowed_placeholders,
    placeholders,
)
from tracker.alerts.policy import ReminderPolicy, parse_policy
from tracker.domain.model import DeadlineKind
from tracker.errors import ConfigError
from tracker.sms.segments import is_gsm7, segments
from tracker.store.models import Parolee

CONFIG = Path(__file__).resolve().parents[2] / "config" / "messages"
KEYS = sorted(MESSAGE_KEYS)
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
# The longest values we expect: a long organisation name, and a long representative's
# name for {contact} (it is the representative's name as entered, in any script, or the
# HELP_CONTACT setting, "your legal representative" by default: 25 characters).
ORG = "Legal Aid Society of Metropolitan Region"
CONTACT = "Maria Fernanda Lopez-Gutierrez"
DAYS = 180
# Day 28 of every month: the longest date of the year is among them.
DATES_OF_THE_YEAR = [date(2026, month, 28) for month in range(1, 13)]
REMINDERS = CONFIG.parent / "reminders.toml"
HOLD = "hold:PM-602-0192"
ASYLUM_PASSED = "asylum_year_passed_in_parole"
# The notes a reminder can end with (tracker.alerts.compose), by the flags that call for
# them, as the rules set them: at_risk on unlawful presence; a hold on the end of parole
# and re-parole, with the asylum note on the end; the work notes on the card's end.
REMINDERS_WITH_NOTES = [
    pytest.param(kind, flags, notes, id=f"{kind.value}+{'+'.join(notes)}")
    for kind, flags, notes in [
        (DeadlineKind.UNLAWFUL_PRESENCE_180, (AT_RISK,), ("note.at_risk",)),
        (DeadlineKind.UNLAWFUL_PRESENCE_365, (AT_RISK,), ("note.at_risk",)),
        (DeadlineKind.PAROLE_EXPIRY, (ASYLUM_PASSED, HOLD), ("note.asylum_passed", "note.hold")),
        (DeadlineKind.REPAROLE_WINDOW_OPENS, (HOLD,), ("note.hold",)),
        (DeadlineKind.REPAROLE_FILE_BY, (HOLD,), ("note.hold",)),
        (
            DeadlineKind.WORK_PERMIT_EXPIRY,
            ("capped_at_parole_end", "work_incident_to_parole"),
            ("note.work_incident", "note.capped"),
        ),
    ]
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONFIG)


def budget(key: str) -> int:
    # DATES lists one line per upcoming date: with all 12 kinds, a UCS-2 list takes 8.
    return 8 if key == "reply.dates" else 3


def longest_renderings(catalog: Catalog, language: str, key: str) -> list[str]:
    """`key` rendered with the longest values, once per month of the year."""
    name = Locale.parse(catalog.babel_locale(language)).display_name or language
    texts = []
    for day in DATES_OF_THE_YEAR:
        values: dict[str, Value] = {
            "org": ORG,
            "contact": CONTACT,
            "date": day,
            "days": DAYS,
            "language": name,
            "dates": [(kind.value, day) for kind in DeadlineKind],
            # Every USCIS form the tracker follows is written like this: I- and 3 digits.
            "form": "I-131",
        }
        wanted = {n: v for n, v in values.items() if n in allowed_placeholders(key)}
        texts.append(catalog.render(language, key, **wanted))
    return texts


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_every_text_in_its_segment_budget(
    catalog: Catalog, language: str, key: str
) -> None:
    text = max(longest_renderings(catalog, language, key), key=segments)
    count = segments(text)
    kind = "GSM-7" if is_gsm7(text) else "UCS-2"
    assert count <= budget(key), (
        f"{language} {key}: {count} segments ({kind}, {len(text)} chars), "
        f"budget {budget(key)}:\n{text}"
    )


@pytest.fixture(scope="module")
def policy() -> ReminderPolicy:
    return parse_policy(REMINDERS.read_text(encoding="utf-8"), str(REMINDERS))


def composed_reminder(
    composer: Composer, language: str, kind: DeadlineKind, flags: tuple[str, ...], act_by: date
) -> str:
    """The reminder as Composer.reminder writes it DAYS before `act_by`, with its note (joined
    as the composer joins it: a full stop first when the text ends with a name)."""
    parolee = Parolee(
        full_name="X",
        phone="+12125550199",
        language=language,
        timezone="America/New_York",
        arrival_date=date(2025, 1, 1),
    )
    deadline = DeadlineView(kind, act_by, kind.value, flags)
    return composer.reminder(parolee, deadline, CONTACT, act_by - timedelta(days=DAYS))


@pytest.mark.parametrize(("kind", "flags", "notes"), REMINDERS_WITH_NOTES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_every_reminder_with_its_notes_in_the_segment_budget(
    catalog: Catalog,
    policy: ReminderPolicy,
    language: str,
    kind: DeadlineKind,
    flags: tuple[str, ...],
    notes: tuple[str, ...],
) -> None:
    composer = Composer(policy, catalog, org=ORG, help_contact=CONTACT)
    texts = [composed_reminder(composer, language, kind, flags, day) for day in DATES_OF_THE_YEAR]
    text = max(texts, key=lambda text: (segments(text), len(text)))
    rendered = [catalog.render(language, n, org=ORG, contact=CONTACT) for n in notes]
    assert text.endswith(" " + " ".join(rendered))
    note = "+".join(notes)
    count, limit = segments(text), policy.segment_budget_with_notes
    encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    assert count <= limit, (
        f"{language} reminder.{kind.value} + {note}: {count} segments ({encoding}, "
        f"{len(text)} chars), budget {limit}:\n{text}"
    )


@pytest.mark.parametrize("language", ["en", "es", "ht"])
def test_it_keeps_latin_script_texts_in_gsm7(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        for text in longest_renderings(catalog, language, key):
            wide = sorted({char for char in text if not is_gsm7(char)})
            assert not wide, f"{language} {key}: not GSM-7: {wide}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sep 28, 2026"),
        ("es", "28 sept 2026"),
        ("uk", "28 вересня 2026"),
        ("ru", "28 сентября 2026"),
        ("ht", "28 septanm 2026"),
        ("fa-AF", "28 سپتمبر 2026"),
        ("ps", "28 سېپتمبر 2026"),
    ],
)
def test_it_formats_dates_in_the_language(catalog: Catalog, language: str, expected: str) -> None:
    text = catalog.render(
        language, "reminder.parole_expiry", org="Org", contact="x", date=date(2026, 9, 28), days=3
    )
    assert expected in text


def test_it_gives_haitian_dates_month_names_babel_lacks(catalog: Catalog) -> None:
    assert catalog.format_date("ht", date(2026, 7, 4)) == "4 jiyè 2026"
    assert all("M0" not in catalog.format_date("ht", day) for day in DATES_OF_THE_YEAR)


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_uses_only_placeholders_the_caller_supplies(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        text = catalog.files[language].messages[key]
        unknown = set(placeholders(text)) - allowed_placeholders(key)
        assert not unknown, f"{language} {key}: {unknown}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_it_uses_the_same_placeholders_as_english(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        ours = set(placeholders(catalog.files[language].messages[key]))
        english = set(placeholders(catalog.files["en"].messages[key]))
        assert ours == english, f"{language} {key}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_starts_every_reminder_with_the_org(catalog: Catalog, language: str) -> None:
    for kind in DeadlineKind:
        text = catalog.files[language].messages[f"reminder.{kind.value}"]
        assert text.startswith("{org}"), f"{language} {kind.value}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_it_lists_every_machine_drafted_text_for_review(catalog: Catalog, language: str) -> None:
    review = catalog.needs_review(language)
    assert review >= MESSAGE_KEYS
    assert review >= {f"labels.{kind.value}" for kind in DeadlineKind}


def test_it_needs_no_review_of_the_english_reference(catalog: Catalog) -> None:
    assert catalog.needs_review("en") == frozenset()


def test_it_lists_dates_one_per_line_with_their_labels(catalog: Catalog) -> None:
    items = [("parole_expiry", date(2026, 9, 28)), ("asylum_one_year", date(2026, 3, 2))]
    text = catalog.render("en", "reply.dates", org="Org", contact="x", dates=items)
    assert "\nParole ends: Sep 28, 2026\nAsylum one-year limit: Mar 2, 2026\n" in text


def test_it_takes_labels_the_caller_already_looked_up(catalog: Catalog) -> None:
    label = catalog.label("es", DeadlineKind.PAROLE_EXPIRY)
    text = catalog.render(
        "es", "reply.dates", org="O", contact="x", dates=[(label, date(2026, 1, 5))]
    )
    assert "\nFin del parole: 5 ene 2026\n" in text


def test_it_falls_back_to_english_for_an_unknown_language(catalog: Catalog) -> None:
    values: dict[str, Value] = {"org": "Org", "contact": "x"}
    assert catalog.render("de", "reply.help", **values) == catalog.render(
        "en", "reply.help", **values
    )
    assert catalog.label("de", DeadlineKind.PAROLE_EXPIRY) == "Parole ends"
    assert catalog.keywords("de") == catalog.keywords("en")
    assert catalog.needs_review("de") == frozenset()


def test_it_refuses_to_render_without_a_value_the_text_uses(catalog: Catalog) -> None:
    with pytest.raises(KeyError, match="contact"):
        catalog.render("en", "reply.help", org="Org")


def test_it_lists_the_shipped_languages_english_first(catalog: Catalog) -> None:
    assert catalog.languages == LANGUAGES


# Loader errors, on small files written for each test.


def small_file(code: str) -> list[str]:
    """The lines of a small valid language file."""
    stop = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
    return [
        f'language = "{code}"',
        f'babel_locale = "{code}"',
        "needs_review = []",
        "[keywords]",
        "stop = [" + ", ".join(f'"{word}"' for word in stop) + "]",
        'start = ["START", "YES", "UNSTOP"]',
        'help = ["HELP", "INFO"]',
        'dates = ["DATES"]',
        "[messages]",
        *(f'{key} = "{{org}}: {key}"' for key in KEYS),
        "[labels]",
        *(f'{kind.value} = "{kind.value}"' for kind in DeadlineKind),
    ]


def write(directory: Path, code: str, lines: list[str]) -> Path:
    path = directory / f"{code}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line_of(lines: list[str], start: str) -> int:
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def load_pair(tmp_path: Path, change: Callable[[list[str]], None]) -> tuple[Path, list[str]]:
    """Write a valid en.toml and an es.toml changed by `change`; the es path and lines."""
    write(tmp_path, "en", small_file("en"))
    lines = small_file("es")
    change(lines)
    return write(tmp_path, "es", lines), lines


def expect_error(tmp_path: Path, path: Path, line: int | None, *words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_catalog(tmp_path, languages=("en", "es"))
    error = caught.value
    assert (error.source, error.line) == (str(path), line), str(error)
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(error).startswith(where)
    for word in words:
        assert word in error.reason


def test_it_loads_the_small_files(tmp_path: Path) -> None:
    load_pair(tmp_path, lambda lines: None)
    catalog = load_catalog(tmp_path, languages=("en", "es"))
    assert catalog.render("es", "reply.stop", org="O", contact="x") == "O: reply.stop"


def test_it_reports_a_toml_syntax_error_with_its_line(tmp_path: Path) -> None:
    path, _ = load_pair(tmp_path, lambda lines: lines.insert(3, 'oops = "unclosed'))
    expect_error(tmp_path, path, 4, "not valid TOML")


def test_it_names_a_missing_message_key(tmp_path: Path) -> None:
    path, lines = load_pair(
        tmp_path,
        lambda lines: lines.remove(next(line for line in lines if line.startswith("reply.help ="))),
    )
    expect_error(tmp_path, path, line_of(lines, "[messages]"), "reply.help", "missing")


def test_it_refuses_an_extra_key_in_messages(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines.insert(line_of(lines, "[messages]"), 'reply.extra = "{org}"')

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "reply.extra"), "reply.extra", "unknown")


def test_it_names_an_unknown_placeholder_and_its_key(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, "welcome =") - 1] = 'welcome = "{org}: on {dat}"'

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "welcome ="), "{dat}", "welcome")


def test_it_refuses_a_placeholder_the_key_does_not_get(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, "reply.stop =") - 1] = 'reply.stop = "{org}: {dates}"'

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "reply.stop ="), "{dates}", "reply.stop")


def test_it_reports_a_stray_brace(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, "reply.stop =") - 1] = 'reply.stop = "{org: bye"'

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "reply.stop ="), "reply.stop")


def test_it_names_a_missing_label(tmp_path: Path) -> None:
    path, lines = load_pair(
        tmp_path, lambda lines: lines.remove('asylum_one_year = "asylum_one_year"')
    )
    expect_error(tmp_path, path, line_of(lines, "[labels]"), "asylum_one_year")


def test_it_refuses_a_label_for_no_deadline_kind(tmp_path: Path) -> None:
    path, lines = load_pair(tmp_path, lambda lines: lines.append('parole_expiri = "x"'))
    expect_error(tmp_path, path, line_of(lines, "parole_expiri"), "parole_expiri")


def test_it_reports_a_missing_language_file(tmp_path: Path) -> None:
    write(tmp_path, "en", small_file("en"))
    expect_error(tmp_path, tmp_path / "es.toml", None, "no message file", "es")


def test_it_requires_twilio_keywords_in_every_file(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, "help =") - 1] = 'help = ["AYUDA", "INFO"]'

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "help ="), "HELP")


def test_it_refuses_a_word_with_two_meanings_across_languages(tmp_path: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, "dates =") - 1] = 'dates = ["DATES", "info"]'

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, "dates ="), "info", "en.toml")


@pytest.mark.parametrize(
    ("start", "replacement", "reason"),
    [
        ("language =", 'language = "fr"', "must be 'es'"),
        ("babel_locale =", 'babel_locale = "xx_QQ"', "unknown babel locale"),
        ("needs_review =", 'needs_review = ["welcome", "welcom"]', "welcom"),
    ],
)
def test_it_checks_the_top_level_keys(
    tmp_path: Path, start: str, replacement: str, reason: str
) -> None:
    def change(lines: list[str]) -> None:
        lines[line_of(lines, start) - 1] = replacement

    path, lines = load_pair(tmp_path, change)
    expect_error(tmp_path, path, line_of(lines, start), reason)


def test_it_refuses_a_numeric_date_format(tmp_path: Path) -> None:
    path, _ = load_pair(tmp_path, lambda lines: lines.insert(2, 'date_format = "dd/MM/y"'))
    expect_error(tmp_path, path, 3, "date_format")
