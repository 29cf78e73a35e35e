"""What a parolee's reply asks for: STOP, START, HELP, DATES, another language, or nothing known.

A reply counts as a keyword only when the whole body is one (as Twilio decides), in any
language of the catalog: a Ukrainian who writes STOP, or СТОП while set to English, is
stopped all the same. Case, accents, whitespace and punctuation around the word are
ignored. Twilio's `OptOutType`, when it comes, has the last word.
"""

from dataclasses import dataclass
from typing import Literal

from tracker.alerts.messages import KEYWORD_INTENTS, Catalog, normalise_keyword

Intent = Literal["stop", "start", "help", "dates", "language", "unknown"]

# Besides each catalog language's own code: what people write to ask for a language.
LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "en": ("EN", "ENG", "ENGLISH"),
    "es": ("ES", "ESP", "ESPAÑOL", "SPANISH"),
    "uk": ("UK", "UA", "УКР", "УКРАЇНСЬКА", "UKRAINIAN"),  # noqa: RUF001
    "ru": ("RU", "РУС", "РУССКИЙ", "RUSSIAN"),  # noqa: RUF001
    "ht": ("HT", "KREYÒL", "CREOLE"),
    "fa-AF": ("FA", "PRS", "FA-AF", "FA_AF", "DARI", "دری"),
    "ps": ("PS", "PUS", "PASHTO", "پښتو"),
}
_OPT_OUT_TYPES: dict[str, Intent] = {"STOP": "stop", "START": "start", "HELP": "help"}
_KEYWORD_INTENTS: dict[str, Intent] = {name: name for name in ("stop", "start", "help", "dates")}


@dataclass(frozen=True)
class Reply:
    """The intent of a reply; `language` is set only for a switch of language."""

    intent: Intent
    language: str | None = None


def parse_reply(body: str, catalog: Catalog, opt_out_type: str | None = None) -> Reply:
    """Read one reply; `opt_out_type` is Twilio's OptOutType field, when it was sent."""
    if opt_out_type:
        intent = _OPT_OUT_TYPES.get(opt_out_type.strip().upper())
        if intent is not None:
            return Reply(intent)
    word = normalise_keyword(body)
    if not word:
        return Reply("unknown")
    for language in catalog.languages:
        keywords = catalog.keywords(language)
        for name in KEYWORD_INTENTS:
            if word in {normalise_keyword(k) for k in keywords[name]}:
                return Reply(_KEYWORD_INTENTS[name])
    for language in catalog.languages:
        aliases = (language, *LANGUAGE_ALIASES.get(language, ()))
        if word in {normalise_keyword(alias) for alias in aliases}:
            return Reply("language", language)
    return Reply("unknown")
