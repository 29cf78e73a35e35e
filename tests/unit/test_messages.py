"""The message catalog: every text within its SMS budget, localised dates and plurals, and
loader errors that say file, line and reason."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tracker.alerts.budget import check_texts, longest_texts
from tracker.alerts.compose import Composer
from tracker.alerts.message_files import load_catalog
from tracker.alerts.messages import (
    LANGUAGES,
    MESSAGE_KEYS,
    Catalog,
    DateItem,
    Value,
    allowed_placeholders,
    placeholders,
)
from tracker.alerts.policy import ReminderPolicy, parse_policy
from tracker.alerts.schedule import DeadlineView
from tracker.domain.model import DeadlineKind
from tracker.errors import ConfigError
from tracker.sms.segments import is_gsm7

CONFIG = Path(__file__).resolve().parents[2] / "config" / "messages"
KEYS = sorted(MESSAGE_KEYS)
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
# ORG_SHORT_NAME at its longest (20), and a long representative's name with a phone: the
# budget check pads {contact} to `contact_chars` (40) in any case.
ORG = "Legal Aid Society NY"
CONTACT = "Maria Fernanda Lopez-Gutierrez, +12125550100"
REMINDERS = CONFIG.parent / "reminders.toml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONFIG)


@pytest.fixture(scope="module")
def policy() -> ReminderPolicy:
    return parse_policy(REMINDERS.read_text(encoding="utf-8"), str(REMINDERS))


@pytest.fixture(scope="module")
def composer(policy: ReminderPolicy, catalog: Catalog) -> Composer:
    return Composer(policy, catalog, org=ORG, help_contact="your legal representative")


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_every_text_in_its_budget_with_the_longest_values(
    composer: Composer, language: str
) -> None:
    texts = [t for t in longest_texts(composer, CONTACT) if t.language == language]
    # Every key people receive, and each reminder once more with all its notes.
    assert {t.key for t in texts} == {k for k in KEYS if not k.startswith("note.")}
    assert any(t.with_notes for t in texts)
    over = [f"{t.describe()}:\n{t.text}" for t in texts if t.over]
    assert not over, "\n".join(over)


def test_the_check_refuses_a_text_over_budget_naming_file_line_and_key(
    composer: Composer, catalog: Catalog
) -> None:
    # A representative entered with a very long name: the longest contact in the database.
    long_contact = "Representative " * 12
    with pytest.raises(ConfigError) as caught:
        check_texts(composer, long_contact, None)
    error = caught.value
    language, key = error.reason.split()[0], error.reason.split()[1].rstrip(":")
    assert (error.source, error.line) == catalog.file(language).where(key)
    assert error.line is not None
    assert "segments" in error.reason and "budget" in error.reason and ORG in error.reason


def test_the_check_refuses_a_link_but_to_our_own_host(
    policy: ReminderPolicy, catalog: Catalog
) -> None:
    shortener = Composer(policy, catalog, org="Help bit.ly/x9", help_contact="x")
    with pytest.raises(ConfigError, match=r"bit\.ly/x9"):
        check_texts(shortener, "x", "tracker.example.org")
    ours = Composer(policy, catalog, org="tracker.example.org", help_contact="x")
    check_texts(ours, "x", "tracker.example.org")


@pytest.mark.parametrize("language", ["en", "es", "ht"])
def test_it_keeps_latin_script_texts_in_gsm7(composer: Composer, language: str) -> None:
    for text in longest_texts(composer, CONTACT):
        if text.language == language:
            wide = sorted({char for char in text.text if not is_gsm7(char)})
            assert not wide, f"{language} {text.key}: not GSM-7: {wide}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "28 September 2026"),
        ("es", "28 de septiembre de 2026"),
        ("uk", "28 вересня 2026"),
        ("ru", "28 сентября 2026"),
        ("ht", "28 septanm 2026"),
        ("fa-AF", "28 سپتمبر 2026"),
        ("ps", "28 سېپتمبر 2026"),
    ],
)
def test_it_names_the_month_in_the_language(catalog: Catalog, language: str, expected: str) -> None:
    text = catalog.render(
        language, "reminder.parole_expiry", org="Org", contact="x", date=date(2026, 9, 28), days=3
    )
    assert expected in text


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("en", 0, "today"),
        ("en", 1, "tomorrow"),
        ("en", 30, "in 30 days"),
        ("es", 21, "dentro de 21 dias"),
        ("uk", 21, "через 21 день"),
        ("uk", 22, "через 22 дні"),
        ("uk", 25, "через 25 днів"),
        ("ru", 21, "через 21 день"),
        ("ru", 3, "через 3 дня"),
        ("ru", 11, "через 11 дней"),
    ],
)
def test_it_says_how_far_a_date_is_in_the_plural_the_language_uses(
    catalog: Catalog, language: str, days: int, expected: str
) -> None:
    assert catalog.file(language).days_phrase(days) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_never_writes_one_day_in_a_plural(catalog: Catalog, language: str) -> None:
    # One day is "tomorrow" in every language; the number 1 never reaches a plural form.
    file = catalog.file(language)
    assert file.days_phrase(1) == file.days["tomorrow"]
    assert "1" not in file.days_phrase(1)


def test_it_gives_haitian_dates_month_names_babel_lacks(catalog: Catalog) -> None:
    assert catalog.format_date("ht", date(2026, 7, 4)) == "4 jiyè 2026"
    days = [date(2026, month, 28) for month in range(1, 13)]
    assert all("M0" not in catalog.format_date("ht", day) for day in days)


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_uses_only_placeholders_the_caller_supplies(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        text = catalog.files[language].messages[key]
        unknown = set(placeholders(text)) - allowed_placeholders(key)
        assert not unknown, f"{language} {key}: {unknown}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_it_uses_the_same_placeholders_as_english(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        ours = sorted(placeholders(catalog.files[language].messages[key]))
        english = sorted(placeholders(catalog.files["en"].messages[key]))
        assert ours == english, f"{language} {key}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_starts_every_text_with_the_org(catalog: Catalog, language: str) -> None:
    for key in KEYS:
        if not key.startswith("note."):
            text = catalog.files[language].messages[key]
            assert text.startswith("{org}"), f"{language} {key}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_it_keeps_an_english_back_translation_of_every_text(
    catalog: Catalog, language: str
) -> None:
    file = catalog.file(language)
    assert file.back is not None
    assert {f"messages.{key}" for key in KEYS} <= set(file.back)
    assert {f"labels.{kind.value}" for kind in DeadlineKind} <= set(file.back)
    assert all(file.back[f"messages.{key}"] != file.messages[key] for key in KEYS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_welcome_and_help_say_who_to_ask_and_what_we_never_ask(
    composer: Composer, language: str
) -> None:
    upcoming = [DeadlineView(DeadlineKind.PAROLE_EXPIRY, date(2027, 1, 5), "parole_expiry")]
    welcome = composer.welcome(language, upcoming, CONTACT)
    help_ = composer.reply(language, "reply.help", CONTACT)
    for text in (welcome, help_):
        assert text.startswith(ORG) and CONTACT in text
    if language == "en":
        for text in (welcome, help_):
            assert "never ask for money, documents or passwords" in text
            assert "information, not legal advice" in text


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_it_lists_every_machine_drafted_text_for_review(catalog: Catalog, language: str) -> None:
    review = catalog.needs_review(language)
    assert review >= MESSAGE_KEYS
    assert review >= {f"labels.{kind.value}" for kind in DeadlineKind}


def test_it_needs_no_review_of_the_english_reference(catalog: Catalog) -> None:
    assert catalog.needs_review("en") == frozenset()


def test_it_lists_dates_one_per_line_with_their_labels(catalog: Catalog) -> None:
    items = [
        DateItem("parole_expiry", date(2026, 9, 28)),
        DateItem("asylum_one_year", date(2026, 3, 2)),
    ]
    text = catalog.render("en", "reply.dates", org="Org", contact="x", dates=items)
    assert "\nParole ends: 28 September 2026\nAsylum one-year limit: 2 March 2026\n" in text


def test_it_fits_as_many_dates_in_the_welcome_as_its_budget_allows(composer: Composer) -> None:
    day = date(2027, 1, 5)
    every = [DeadlineView(kind, day, kind.value) for kind in DeadlineKind]
    text = composer.welcome("uk", every, CONTACT)
    assert composer.segments(text) <= composer.budget("welcome", text)
    assert 1 <= text.count("2027") < len(every)
    assert "DATES" in text


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


def small_text(key: str) -> str:
    """A text for `key` with the placeholders it must show."""
    if key.startswith("note."):
        return key
    names = sorted(allowed_placeholders(key) - {"org", "contact"})
    return "{org}: " + key + "".join(f" {{{name}}}" for name in names)


# Every plural category of es and en (CLDR), and the words for today and tomorrow.
SMALL_DAYS = ['today = "today"', 'tomorrow = "tomorrow"', 'one = "in {n} day"',
              'many = "in {n} days"', 'other = "in {n} days"']  # fmt: skip
SMALL_FORMATS = ['date_line = "{label}: {date}"', 'change_line = "{label}: {date}, was {old_date}"']


def small_file(code: str) -> list[str]:
    """The lines of a small valid language file."""
    stop = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
    days = SMALL_DAYS if code != "en" else [line for line in SMALL_DAYS if "many" not in line]
    return [
        f'language = "{code}"',
        f'babel_locale = "{code}"',
        "needs_review = []",
        "[keywords]",
        "stop = [" + ", ".join(f'"{word}"' for word in stop) + "]",
        'start = ["START", "YES", "UNSTOP"]',
        'help = ["HELP", "INFO"]',
        'dates = ["DATES"]',
        "[days]",
        *days,
        "[formats]",
        *SMALL_FORMATS,
        "[messages]",
        *(f'{key} = "{small_text(key)}"' for key in KEYS),
        "[labels]",
        *(f'{kind.value} = "{kind.value}"' for kind in DeadlineKind),
    ]


def small_back(code: str) -> list[str]:
    """The lines of a valid back-translation of `small_file(code)`."""
    lines = small_file(code)
    tables = ("[days]", "[formats]", "[messages]", "[labels]")
    kept = [f'language = "{code}"']
    table = None
    for line in lines:
        if line.startswith("["):
            table = line
            if line in tables:
                kept.append(line)
        elif table in tables:
            kept.append(line)
    return kept


def write(directory: Path, code: str, lines: list[str]) -> Path:
    path = directory / f"{code}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line_of(lines: list[str], start: str) -> int:
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def load_pair(tmp_path: Path, change: Callable[[list[str]], None]) -> tuple[Path, list[str]]:
    """Write a valid en.toml and an es.toml changed by `change`; the es path and lines."""
    write(tmp_path, "en", small_file("en"))
    write(tmp_path, "es.back", small_back("es"))
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
    assert catalog.file("es").back is not None


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
        lines[line_of(lines, "welcome =") - 1] = 'welcome = "{org}: on {dat} {dates}"'

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
