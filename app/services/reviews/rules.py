"""Automatic checks of a review's text before a person sees it: links, phone numbers, emails, profanity,
all-caps and repeated text. A hit holds the review for a moderator with the reason; nothing is hidden by a rule.

The checks look at the text only — never at the rating — so a low rating is never held for being low.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.models.reviews import FlagRule

PROFANITY_FILE = Path(__file__).resolve().parents[2] / "data" / "profanity_ru.txt"
# Verb prefixes a stem may follow inside a word («за» + «ебал»); a hard sign may close them («съ», «подъ»).
PREFIXES = (
    "",
    "а",
    "в",
    "вз",
    "вы",
    "до",
    "за",
    "из",
    "на",
    "над",
    "недо",
    "о",
    "об",
    "от",
    "пере",
    "по",
    "под",
    "при",
    "про",
    "раз",
    "рас",
    "с",
    "у",
)
# Latin letters that look like Cyrillic ones, and digits used for letters: «xуй», «п0зор».
LOOKALIKES = str.maketrans("aeopcxykmth036", "аеорсхукмтнозб")

_LINK = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w@.])(?:[a-zа-я0-9](?:[a-zа-я0-9-]{0,61}[a-zа-я0-9])?\.)+"
    r"(?:ru|рф|su|com|net|org|info|biz|io|me|pro|shop|store|site|online|xyz|club|top|by|kz|ua)(?![\w])(?:/\S*)?"
    r"|(?<![\w@])@[a-z0-9_]{4,32}(?![\w@.])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_SEP = r"[\s\-().]*"
_PHONE = re.compile(
    # +7 / +375 …: a plus and 10 to 14 digits; or a Russian number with 8 / 7 and ten digits; or a bare mobile 9XX…
    rf"\+{_SEP}\d(?:{_SEP}\d){{9,13}}"
    rf"|(?<![\d])[78]{_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}(?!\d)"
    rf"|(?<![\d\-])9\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}(?!\d)"
)
_WORD = re.compile(r"[\w*]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_MASKED = re.compile(r"^[а-яё]+\*+[а-яё*]*$", re.IGNORECASE)
_CHAR_RUN = re.compile(r"([^\W\d_]|[!?])\1{5,}", re.UNICODE)

CAPS_MIN_LETTERS = 15
CAPS_SHARE = 0.7
REPEATED_WORD_TIMES = 4
DIVERSITY_MIN_WORDS = 12
DIVERSITY_SHARE = 0.3


@dataclass(frozen=True)
class Flag:
    rule: FlagRule
    detail: str  # the fragment that triggered the rule (for the moderator)

    @property
    def label(self) -> str:
        return self.rule.label


@cache
def profanity_stems() -> tuple[str, ...]:
    stems = []
    for line in PROFANITY_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower().replace("ё", "е")
        if line and not line.startswith("#"):
            stems.append(line)
    return tuple(stems)


def _normalised_word(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if _CYRILLIC.search(word):
        word = word.translate(LOOKALIKES)
    return word


def is_profane(word: str) -> bool:
    word = _normalised_word(word)
    if _MASKED.match(word):  # «х*й», «п**дец»: masked, but meant
        return True
    for prefix in PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        if prefix and rest.startswith("ъ"):
            rest = rest[1:]
        if any(rest.startswith(stem) for stem in profanity_stems()):
            return True
    return False


def _short(fragment: str) -> str:
    fragment = " ".join(fragment.split())
    return fragment if len(fragment) <= 60 else fragment[:57] + "…"


def _caps(text: str) -> Flag | None:
    letters = [ch for ch in text if ch.isalpha() and ch.lower() != ch.upper()]
    if len(letters) < CAPS_MIN_LETTERS:
        return None
    upper = sum(1 for ch in letters if ch.isupper())
    if upper / len(letters) >= CAPS_SHARE:
        return Flag(FlagRule.caps, f"заглавных букв {round(100 * upper / len(letters))} %")
    return None


def _repeated(text: str, words: list[str]) -> Flag | None:
    run = _CHAR_RUN.search(text)
    if run:
        return Flag(FlagRule.repeated, _short(run.group(0)))
    lowered = [w.lower() for w in words]
    streak = 1
    for previous, word in zip(lowered, lowered[1:], strict=False):
        streak = streak + 1 if word == previous else 1
        if streak >= REPEATED_WORD_TIMES:
            return Flag(FlagRule.repeated, f"«{word}» подряд ×{streak}")
    if len(lowered) >= DIVERSITY_MIN_WORDS and len(set(lowered)) / len(lowered) < DIVERSITY_SHARE:
        return Flag(FlagRule.repeated, f"{len(set(lowered))} разных слов из {len(lowered)}")
    return None


def check_text(text: str) -> list[Flag]:
    """The rules this text breaks, one flag per rule (in the order of FlagRule), empty when it is clean."""
    found: dict[FlagRule, Flag] = {}
    email = _EMAIL.search(text)
    if email:
        found[FlagRule.email] = Flag(FlagRule.email, _short(email.group(0)))
    without_emails = _EMAIL.sub(" ", text)
    link = _LINK.search(without_emails)
    if link:
        found[FlagRule.link] = Flag(FlagRule.link, _short(link.group(0)))
    phone = _PHONE.search(without_emails)
    if phone:
        found[FlagRule.phone] = Flag(FlagRule.phone, _short(phone.group(0)))
    words = [w.strip("*") for w in _WORD.findall(text)]
    bad = next((w for w in words if is_profane(w)), None)
    if bad:
        found[FlagRule.profanity] = Flag(FlagRule.profanity, _short(bad))
    caps = _caps(text)
    if caps:
        found[FlagRule.caps] = caps
    repeated = _repeated(text, [w for w in words if w.isalpha()])
    if repeated:
        found[FlagRule.repeated] = repeated
    return [found[rule] for rule in FlagRule if rule in found]


def fingerprint_text(text: str) -> str:
    """The text reduced to its letters and digits, lower case: the same review pasted twice has the same one."""
    reduced = " ".join(re.findall(r"[^\W_]+", text.lower().replace("ё", "е"), re.UNICODE))
    return hashlib.sha256(reduced.encode("utf-8")).hexdigest()
