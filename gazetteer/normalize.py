"""Place-name normalisation for Syrian names in Latin transliteration and Arabic script.

The pipeline is a chain of small sanitizers (in the spirit of Nominatim's token
analysis): each takes a :class:`NameParts` and returns a new one.  The public entry
points are :func:`normalize` (returns strict key, skeleton key and kind hint) plus the
two shortcuts :func:`strict_key` and :func:`skeleton_key`.

* The **strict key** folds case, accents, ayn/hamza marks, articles, type words and the
  common spelling families of frequent name words (Tal/Tell/Tall, Kafr/Kfar, Deir/Dayr...),
  but keeps vowels, so "Kafr Zita" and "Kafr Zeita" still differ.
* The **skeleton key** is a loose consonant skeleton (vowels dropped, doubled letters
  collapsed, q/k, kh/h, gh/g, dh/z, th/t merged), so that "Ma'arrat al-Nu'man" and
  "Maarat an-Numan" share a key.  It is a blocking key, never an answer on its own.

Every function here is total: any ``str`` in gives a ``str`` out, and applying the
normaliser to its own output changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "KIND_WORDS",
    "NameParts",
    "NormalizedName",
    "fold_arabic",
    "is_arabic",
    "normalize",
    "skeleton_key",
    "strict_key",
    "tokens_for_context",
]


@dataclass(frozen=True)
class NameParts:
    """A name on its way through the sanitizer chain."""

    tokens: tuple[str, ...]
    kind_hint: str | None = None
    script: str = "latin"


@dataclass(frozen=True)
class NormalizedName:
    """The keys derived from one name."""

    strict: str
    skeleton: str
    kind_hint: str | None
    script: str


Sanitizer = Callable[[NameParts], NameParts]

# --------------------------------------------------------------------------- Latin

# Marks that stand for ayn or hamza in transliterations; they carry no letter we can
# rely on, so they are dropped rather than turned into a space.
_AYN_HAMZA = "'`´ʿʾʼʻ’‘′‛ʹʽ"
_AYN_HAMZA_RE = re.compile("[" + re.escape(_AYN_HAMZA) + "]")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z\u0600-\u06ff]+")

# The Arabic article in its Latin spellings, including sun-letter assimilations.
ARTICLES = frozenset(
    {
        "al",
        "el",
        "il",
        "ul",
        "l",
        "ad",
        "ed",
        "ar",
        "er",
        "as",
        "es",
        "ash",
        "esh",
        "at",
        "et",
        "ath",
        "eth",
        "az",
        "ez",
        "an",
        "en",
        "adh",
        "edh",
    }
)

# Type words found around place names.  They are removed from the name and kept as a
# hint of what sort of place was meant.
KIND_WORDS: dict[str, str] = {
    "village": "community",
    "villages": "community",
    "town": "community",
    "towns": "community",
    "city": "community",
    "cities": "community",
    "hamlet": "community",
    "farm": "community",
    "farms": "community",
    "qarya": "community",
    "qaryat": "community",
    "madinat": "community",
    "camp": "camp",
    "camps": "camp",
    "idp": "camp",
    "idps": "camp",
    "mukhayyam": "camp",
    "mukhayam": "camp",
    "shelter": "camp",
    "site": "camp",
    "settlement": "camp",
    "neighbourhood": "neighbourhood",
    "neighborhood": "neighbourhood",
    "neighbourhoods": "neighbourhood",
    "neighborhoods": "neighbourhood",
    "quarter": "neighbourhood",
    "district": "district",
    "districts": "district",
    "mantiqa": "district",
    "mantiqat": "district",
    "county": "subdistrict",
    "subdistrict": "subdistrict",
    "nahiya": "subdistrict",
    "nahiyat": "subdistrict",
    "nahia": "subdistrict",
    "governorate": "governorate",
    "province": "governorate",
    "muhafazat": "governorate",
    "muhafaza": "governorate",
    # "rural Idlib", "Ariha countryside": the surroundings of a town or the unit itself.
    "suburb": "surroundings",
    "suburbs": "surroundings",
    "countryside": "surroundings",
    "outskirts": "surroundings",
    "rural": "surroundings",
    "rif": "surroundings",
    "environs": "surroundings",
    "area": "area",
    "region": "area",
    "vicinity": "area",
    "prison": "facility",
    "hospital": "facility",
    "school": "facility",
    "mosque": "facility",
    "market": "facility",
    "crossing": "facility",
    "checkpoint": "facility",
    "airport": "facility",
    "airbase": "facility",
    "base": "facility",
    "bakery": "facility",
    "station": "facility",
    "bridge": "facility",
    "roundabout": "facility",
    "border": "facility",
    "military": "facility",
    "central": "facility",
    "square": "facility",
}

# Only some kind hints are "stronger" than others when a name carries several type words
# ("camp site" is a camp, "border crossing village" is a village).
_KIND_PRIORITY = {
    "camp": 6,
    "neighbourhood": 5,
    "governorate": 4,
    "district": 3,
    "subdistrict": 3,
    "facility": 2,
    "surroundings": 2,
    "community": 1,
    "area": 0,
}

_REPEATED_VOWEL_RE = re.compile(r"([aeiou])\1+")


def _collapse_vowels(word: str) -> str:
    return _REPEATED_VOWEL_RE.sub(r"\1", word)


# Spelling families of frequent name words, mapped to one canonical spelling.
WORD_FAMILIES: dict[str, str] = {}
for _canon, _variants in {
    "tal": "tal tall tell tel til tul tall",
    "kafr": "kafr kfar kefr kafar kufr kfr kefer kafer kafar kfer",
    "deir": "deir dayr dair der dier deyr dayir",
    "abu": "abu abou abo abou abuu",
    "ain": "ain ayn ein aein ayin aain eyn ayoun",
    "jisr": "jisr jesr jsr jiser",
    "beit": "beit bayt bait bet beyt byt",
    "um": "um umm om oum omm",
    "khirbet": "khirbet khirbat kherbet khirbit kharbet khirba kherbat khurbet kharbat kharbit"
    " kherbit khrbet khrbt",
    "sheikh": "sheikh shaykh shekh cheikh sheik shaikh sheykh shiekh",
    "maarat": "maarat maarrat maaret marat maarret maarrit maarit",
    "jabal": "jabal jebel jabel jbel jabl jebal",
    "wadi": "wadi wady",
    "ras": "ras raas",
    "bir": "bir beer bi'r bier",
    "rasm": "rasm resm",
    "qasr": "qasr kasr qaser",
    "hay": "hay hayy hai",
    "mazraat": "mazraat mazraet mazrat mazraah",
}.items():
    for _variant in _variants.split():
        # Doubled vowels are collapsed later in the chain, so both the raw and the
        # collapsed spelling map to the (collapsed) canonical word.
        WORD_FAMILIES.setdefault(_variant, _collapse_vowels(_canon))
        WORD_FAMILIES.setdefault(_collapse_vowels(_variant), _collapse_vowels(_canon))

# Qualifiers ("Little", "Saghir", "Eastern", "Sharqi") are written in English by OCHA and
# in Arabic by most others, and before or after the name.  They become one English word
# and move to the end of the key, so "Jurn Saghir" and "Little Jern" meet.
QUALIFIERS: dict[str, str] = {}
for _canon, _variants in {
    "little": "little small saghir saghira sghir seghir zghir zgheer sughra saghire saghira"
    " sghira saghirah saghireh sgheer sgheir zghayyar zghayar sagheer",
    "big": "big great large kabir kabira kbir kebir kubra kabirah kabireh kbira kabeer"
    " kibir kbeer kibeer kebira kbire",
    "east": "east eastern sharqi sharqiya sharqui sharki shurqi sharqya",
    "west": "west western gharbi gharbiya garbi gharbya",
    "north": "north northern shamali shamaliya shimali norhern",
    "south": "south southern janubi janoubi junubi qibli janubiya qebli kibli",
    "middle": "middle wastani wusta wasta awsat wista wastaniya",
    "upper": "upper fawqani foqani fouqani fawqa fawqaniya",
    "lower": "lower tahtani tahtaniya tahta",
    "new": "new jadid jadida jdideh jadideh jdida",
    "old": "old qadim qadima atiq",
}.items():
    for _variant in _variants.split():
        QUALIFIERS.setdefault(_variant, _canon)
        QUALIFIERS.setdefault(_collapse_vowels(_variant), _canon)


def _fold_latin_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    text = _AYN_HAMZA_RE.sub("", text)
    return text


# "Rural Damascus" is the governorate's own name, so "rural" must not be stripped from it
# as a type word (that would make it "Damascus").  All its spellings become one token.
RURAL_DAMASCUS_TOKEN = "rifdimashq"
_RURAL_DAMASCUS_RE = re.compile(
    r"\b(?:(?:rural|rif|reef|countryside\s+of|suburbs\s+of|outskirts\s+of)[\s-]+"
    r"(?:damascus|dimashq|demashq)"
    r"|(?:damascus|dimashq)[\s-]+(?:governorate[\s-]+)?(?:suburbs|countryside|rural|rif)"
    r"(?:[\s-]+governorate)?)\b"
)
_RURAL_DAMASCUS_AR_RE = re.compile("ريف\\s+دمشق")


def sanitize_fixed_phrases(text: str) -> str:
    """Replace multi-word names that the word-level sanitizers would damage."""
    text = _RURAL_DAMASCUS_RE.sub(" " + RURAL_DAMASCUS_TOKEN + " ", text)
    return _RURAL_DAMASCUS_AR_RE.sub(" " + RURAL_DAMASCUS_TOKEN + " ", text)


def sanitize_split(text: str) -> NameParts:
    """Fold case and accents, drop ayn/hamza marks and cut the text into word tokens."""
    script = "arabic" if is_arabic(text) else "latin"
    text = fold_arabic(text) if script == "arabic" else _fold_latin_text(text)
    text = sanitize_fixed_phrases(text)
    tokens = tuple(t for t in _NON_ALNUM_RE.split(text) if t)
    return NameParts(tokens=tokens, script=script)


_GLUED_SUN_ARTICLE_RE = re.compile(r"^(?:e([zdr])\1|az(?=z))[a-z]{2,}$")


def _split_attached_article(token: str) -> tuple[str, ...]:
    # "ash-Shaykh" is split by punctuation already; this handles OCHA's glued forms such
    # as "Elbab" or "Alshughur".  Only applied to non-initial tokens: an initial "Al..."
    # is too often part of the name itself (Aleppo, Alma).
    # OCHA glues "El" onto any word ("Elabed", "Elbab"); a glued "Al" is only taken for an
    # article before a consonant, since "Aleppo", "Alawiya" begin with a root letter.
    while len(token) >= 5 and (
        token.startswith("el") or (token.startswith("al") and token[2] not in _VOWELS)
    ):
        token = token[2:]
    # Assimilated article glued on: "Ezzor", "Eddaman", "Errumman" (not "Assaf", "Attar",
    # which are names spelt with an ayn).
    if _GLUED_SUN_ARTICLE_RE.match(token):
        token = token[2:]
    return (token,)


def sanitize_kind_words(parts: NameParts) -> NameParts:
    """Remove type words (village, camp, neighbourhood...) and keep the strongest as a hint."""
    if parts.script != "latin":
        return _sanitize_arabic_kind_words(parts)
    kept: list[str] = []
    hint = parts.kind_hint
    for token in parts.tokens:
        kind = KIND_WORDS.get(token)
        if kind is None:
            kept.append(token)
            continue
        if hint is None or _KIND_PRIORITY[kind] > _KIND_PRIORITY.get(hint, -1):
            hint = kind
    if not kept:
        # A name made only of type words ("Military Academy" minus nothing) keeps them.
        kept = list(parts.tokens)
    return NameParts(tuple(kept), hint, parts.script)


def sanitize_articles(parts: NameParts) -> NameParts:
    """Drop the Arabic article in all its Latin spellings, free-standing or glued on."""
    if parts.script != "latin":
        return parts
    out: list[str] = []
    for index, token in enumerate(parts.tokens):
        if token in ARTICLES:
            continue
        if index > 0:
            out.extend(_split_attached_article(token))
        else:
            out.append(token)
    if not out:
        return parts
    return NameParts(tuple(out), parts.kind_hint, parts.script)


def sanitize_word_families(parts: NameParts) -> NameParts:
    """Map spelling families of frequent words (Tell/Tall, Kfar/Kafr, Dayr/Deir) to one form."""
    if parts.script != "latin":
        return parts
    tokens = [WORD_FAMILIES.get(t, t) for t in parts.tokens]
    words = [t for t in tokens if t not in QUALIFIERS]
    qualifiers = sorted(QUALIFIERS[t] for t in tokens if t in QUALIFIERS)
    if not words:
        return NameParts(tuple(qualifiers), parts.kind_hint, parts.script)
    return NameParts(tuple(words + qualifiers), parts.kind_hint, parts.script)


_ENDINGS = (
    ("iyyah", "iya"),
    ("iyyeh", "iya"),
    ("iyeh", "iya"),
    ("iyah", "iya"),
    ("iyya", "iya"),
    ("iyye", "iya"),
    ("ieh", "iya"),
    ("iye", "iya"),
    ("ia", "iya"),
    ("eyeh", "iya"),
    ("yeh", "iya"),
    ("iyet", "iya"),
    ("iyat", "iya"),
    ("ah", "a"),
    ("eh", "a"),
)


def sanitize_endings(parts: NameParts) -> NameParts:
    """Unify feminine and nisba endings: -iyah/-iyeh/-ieh/-iya, -ah/-eh."""
    if parts.script != "latin":
        return parts
    out = []
    for token in parts.tokens:
        if len(token) > 3 and not token.isdigit():
            for ending, canon in _ENDINGS:
                if token.endswith(ending) and len(token) - len(ending) >= 2:
                    if not token.endswith("iya"):
                        token = token[: -len(ending)] + canon
                    break
        out.append(token)
    return NameParts(tuple(out), parts.kind_hint, parts.script)


def sanitize_repeated_vowels(parts: NameParts) -> NameParts:
    """Collapse doubled vowels ("Daraa"/"Dara", "Maarat"/"Marat"); they mostly mark an ayn."""
    if parts.script != "latin":
        return parts
    tokens = tuple(_collapse_vowels(t) for t in parts.tokens)
    return NameParts(tokens, parts.kind_hint, parts.script)


LATIN_CHAIN: tuple[Sanitizer, ...] = (
    sanitize_articles,
    sanitize_kind_words,
    sanitize_word_families,
    sanitize_endings,
    sanitize_repeated_vowels,
)

# --------------------------------------------------------------------------- Arabic

_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_HARAKAT_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ک": "ك",
        "ڤ": "ف",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
        "ـ": "",
        "،": " ",
        "؛": " ",
        "؟": " ",
    }
)

ARABIC_KIND_WORDS: dict[str, str] = {
    "قريه": "community",
    "مدينه": "community",
    "بلده": "community",
    "مزرعه": "community",
    "مخيم": "camp",
    "حي": "neighbourhood",
    "ناحيه": "subdistrict",
    "منطقه": "district",
    "محافظه": "governorate",
    "ريف": "area",
    "سجن": "facility",
    "مشفى": "facility",
    "مستشفى": "facility",
    "مدرسه": "facility",
    "جامع": "facility",
    "مسجد": "facility",
    "سوق": "facility",
    "معبر": "facility",
}


def is_arabic(text: str) -> bool:
    """True when the text contains Arabic letters."""
    return bool(_ARABIC_RE.search(text))


def fold_arabic(text: str) -> str:
    """Fold Arabic script: presentation forms, alef forms, taa marbuta, alef maqsura, harakat."""
    text = unicodedata.normalize("NFKC", text)
    text = _HARAKAT_RE.sub("", text)
    text = text.translate(_ARABIC_FOLD)
    return _fold_latin_text(text)


def _strip_arabic_article(token: str) -> str:
    if token.startswith("ال") and len(token) > 3:
        return token[2:]
    # "وال" / "بال" / "لل" prefixed forms appear in running text, not in names; skip them.
    return token


def _sanitize_arabic_kind_words(parts: NameParts) -> NameParts:
    kept: list[str] = []
    hint = parts.kind_hint
    for token in parts.tokens:
        kind = ARABIC_KIND_WORDS.get(token)
        if kind is None:
            kept.append(token)
        elif hint is None or _KIND_PRIORITY[kind] > _KIND_PRIORITY.get(hint, -1):
            hint = kind
    if not kept:
        kept = list(parts.tokens)
    return NameParts(tuple(kept), hint, parts.script)


def sanitize_arabic_article(parts: NameParts) -> NameParts:
    """Drop the article ال from Arabic words."""
    if parts.script != "arabic":
        return parts
    tokens = tuple(_strip_arabic_article(t) for t in parts.tokens)
    return NameParts(tokens, parts.kind_hint, parts.script)


ARABIC_CHAIN: tuple[Sanitizer, ...] = (sanitize_kind_words, sanitize_arabic_article)

# --------------------------------------------------------------------------- skeleton

_DIGRAPHS = (
    # dh (ذ) is said and written d or z in Syria: "Tall Dhahab" is OCHA's "Tal Dahab".
    ("ch", "x"),
    ("sh", "x"),
    ("kh", "h"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("c", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("v", "f"),
    ("j", "j"),
    ("ts", "s"),
    ("dj", "j"),
    ("tch", "x"),
)
_VOWELS = frozenset("aeiou")


def _latin_skeleton_token(token: str) -> str:
    if token.isdigit():
        return token
    for digraph, single in _DIGRAPHS:
        token = token.replace(digraph, single)
    out: list[str] = []
    previous = ""
    for index, ch in enumerate(token):
        if ch in _VOWELS:
            # One vowel marker at the start keeps "Izaz"/"A'zaz" apart from "Zaz".
            if index == 0:
                out.append("a")
            previous = ch
            continue
        if ch in "wy":
            # Inside a word w/y are glides written as vowels just as often
            # ("Suwaidan"/"Swidan", "Madyara"/"Modira"); only an initial one is kept.
            if index == 0:
                out.append("a" if ch == "y" else "w")
            previous = "a"
            continue
        if ch == "h" and previous in _VOWELS and index == len(token) - 1:
            previous = ch
            continue
        out.append(ch)
        previous = ch
    collapsed: list[str] = []
    for ch in out:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed)


_ARABIC_LONG_VOWELS = str.maketrans({"ا": "", "و": "", "ي": ""})


def _arabic_skeleton_token(token: str) -> str:
    if len(token) <= 2:
        return token
    body = token[0] + token[1:].translate(_ARABIC_LONG_VOWELS)
    collapsed: list[str] = []
    for ch in body:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed)


# --------------------------------------------------------------------------- entry points


@lru_cache(maxsize=200_000)
def normalize(text: str) -> NormalizedName:
    """Normalise one place name; never raises."""
    if not isinstance(text, str):  # defensive for callers passing None through
        text = "" if text is None else str(text)
    parts = sanitize_split(text)
    chain = ARABIC_CHAIN if parts.script == "arabic" else LATIN_CHAIN
    # Run the chain to a fixpoint: one sanitizer can expose work for another (an ending
    # rewrite can produce a type word), and the key must be idempotent.
    for _ in range(4):
        before = parts.tokens
        for sanitizer in chain:
            parts = sanitizer(parts)
        if parts.tokens == before:
            break
    strict = " ".join(parts.tokens)
    if parts.script == "arabic":
        skeleton_tokens = [_arabic_skeleton_token(t) for t in parts.tokens]
    else:
        skeleton_tokens = [_latin_skeleton_token(t) for t in parts.tokens]
    skeleton = "".join(skeleton_tokens)
    return NormalizedName(strict, skeleton, parts.kind_hint, parts.script)


def strict_key(text: str) -> str:
    """The strict lookup key of a name (see module docstring)."""
    return normalize(text).strict


def skeleton_key(text: str) -> str:
    """The loose consonant-skeleton key of a name (spaces removed)."""
    return normalize(text).skeleton


def tokens_for_context(text: str) -> list[str]:
    """Split free context text into folded tokens, keeping articles and type words.

    Context phrases are matched by n-grams, so the raw token stream (only folded) is
    what the resolver needs; names inside it are normalised n-gram by n-gram.
    """
    return list(sanitize_split(text).tokens)


def all_keys(names: Iterable[str]) -> set[str]:
    """Strict keys of several names, without empties."""
    return {k for k in (strict_key(n) for n in names) if k}
