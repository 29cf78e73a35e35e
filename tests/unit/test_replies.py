"""parse_reply: keywords of every language, case and punctuation, language codes, OptOutType."""

from pathlib import Path

import pytest

from tracker.alerts.message_files import load_catalog
from tracker.alerts.messages import KEYWORD_INTENTS, normalise_keyword
from tracker.alerts.replies import LANGUAGE_ALIASES, Reply, parse_reply

CATALOG = load_catalog(Path(__file__).resolve().parents[2] / "config" / "messages")
EVERY_KEYWORD = sorted(
    (language, intent, word)
    for language in CATALOG.languages
    for intent, words in CATALOG.keywords(language).items()
    for word in words
)


@pytest.mark.parametrize(("language", "intent", "word"), EVERY_KEYWORD)
def test_it_reads_every_keyword_of_every_language(language: str, intent: str, word: str) -> None:
    reply = parse_reply(word, CATALOG)
    assert (reply.intent, reply.language) == (intent, None)


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("  stop  ", "stop"),
        ("Stop!", "stop"),
        ("STOP.", "stop"),
        ('"Unsubscribe"', "stop"),
        ("\nparar\n", "stop"),
        ("«стоп»", "stop"),
        ("Kanpe!!!", "stop"),
        ("Stop all", "stop"),
        ("start", "start"),
        ("Kòmanse", "start"),
        ("¿Ayuda?", "help"),
        ("èd", "help"),
        ("Ed.", "help"),
        ("допомога", "help"),
        ("Помощь?", "help"),
        ("کمک؟", "help"),
        ("fechas", "dates"),
        ("Dat", "dates"),
        ("даты", "dates"),
        ("دати", "unknown"),
    ],
)
def test_it_ignores_case_accents_and_punctuation_around(body: str, intent: str) -> None:
    assert parse_reply(body, CATALOG).intent == intent


def test_it_reads_arabic_keyboard_letters_as_persian() -> None:
    # Arabic yeh (U+064A) where Dari writes Farsi yeh (U+06CC); a zero-width non-joiner.
    assert parse_reply("تاريخ", CATALOG).intent == "dates"
    assert parse_reply("تاریخها", CATALOG).intent == "dates"
    assert parse_reply("تاریخ\u200cها", CATALOG).intent == "dates"  # noqa: RUF001


def test_it_reads_a_keyword_of_another_language_than_the_persons() -> None:
    assert parse_reply("СТОП", CATALOG) == Reply("stop")
    assert parse_reply("مرسته", CATALOG) == Reply("help")


@pytest.mark.parametrize(
    ("body", "language"),
    [
        ("EN", "en"),
        ("es", "es"),
        ("Español", "es"),
        ("UK", "uk"),
        ("ru", "ru"),
        ("HT", "ht"),
        ("FA", "fa-AF"),
        ("prs", "fa-AF"),
        ("fa-AF", "fa-AF"),
        ("FA_AF", "fa-AF"),
        ("دری", "fa-AF"),
        ("PS", "ps"),
        (" ps. ", "ps"),
    ],
)
def test_it_switches_language_on_a_code(body: str, language: str) -> None:
    assert parse_reply(body, CATALOG) == Reply("language", language)


def test_it_keeps_keywords_and_language_codes_apart() -> None:
    words = {
        normalise_keyword(word)
        for language in CATALOG.languages
        for words in CATALOG.keywords(language).values()
        for word in words
    }
    codes = {
        normalise_keyword(alias)
        for language, aliases in LANGUAGE_ALIASES.items()
        for alias in (language, *aliases)
    }
    assert not words & codes


@pytest.mark.parametrize(
    ("body", "opt_out_type", "intent"),
    [
        ("please stop texting me", "STOP", "stop"),
        ("HELP", "START", "start"),
        ("Info", "help", "help"),
        ("STOP", " Stop ", "stop"),
        ("STOP", "UNKNOWN", "stop"),
        ("hola", "", "unknown"),
        ("DATES", None, "dates"),
    ],
)
def test_it_lets_twilio_opt_out_type_win(body: str, opt_out_type: str | None, intent: str) -> None:
    assert parse_reply(body, CATALOG, opt_out_type).intent == intent


@pytest.mark.parametrize(
    "body",
    ["", "   ", "!!!", "STOP please", "stop it", "when is my date?", "DE", "18", "STOPP", "🙏"],
)
def test_it_reads_anything_else_as_unknown(body: str) -> None:
    assert parse_reply(body, CATALOG) == Reply("unknown")


def test_it_knows_every_intent_of_the_catalog() -> None:
    assert {intent for _, intent, _ in EVERY_KEYWORD} == set(KEYWORD_INTENTS)
