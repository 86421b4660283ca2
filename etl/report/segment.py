"""Split report text into paragraphs and sentences, keeping offsets into the original text.

Reports arrive as text extracted from PDFs or web pages: markdown link residue
(``[words](#)``), underline tags, footnote superscripts, and, for PDF extractions, hard-wrapped
lines separated by blank lines with words hyphenated across them. The parser works on a
cleaned copy; every cleaned character remembers the original offset it came from, so spans
reported to reviewers point into the text exactly as it was published.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Markup that carries no words: link targets, the opening bracket of a link, emphasis and
# underline tags, superscript footnote markers, and the arrow/eye glyphs of image captions.
_NOISE = re.compile(
    r"\]\([^)\n]{0,300}\)"
    r"|\[(?=[^\]\n]{0,300}\]\()"
    r"|</?u>|\*\*"
    r"|[¹²³⁴⁵⁶⁷⁸⁹⁰]"
)
_TERMINAL = tuple('.:!?;"”’)')
_ABBREVIATIONS = {
    "mr",
    "ms",
    "mrs",
    "dr",
    "st",
    "no",
    "nos",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "p.m",
    "a.m",
    "u.s",
    "u.n",
    "jr",
    "sr",
    "gen",
    "col",
    "lt",
    "capt",
    "sgt",
    "prof",
    "approx",
}
_SENTENCE_END = re.compile(r"[.!?](?:[\"”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9\-•➤])")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset of the first character in the ORIGINAL text
    end: int  # offset just past the last character in the original text
    local_start: int  # the same range within the cleaned paragraph text
    local_end: int


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]
    offsets: tuple[int, ...]  # original offset of every character of ``text``

    def original_span(self, local_start: int, local_end: int) -> tuple[int, int]:
        """Map a [start, end) range of ``text`` to the original report text."""
        if not self.offsets:
            return self.start, self.start
        local_start = max(0, min(local_start, len(self.offsets) - 1))
        local_end = max(local_start + 1, min(local_end, len(self.offsets)))
        return self.offsets[local_start], self.offsets[local_end - 1] + 1


def _strip_noise(text: str, base: int) -> tuple[str, list[int]]:
    chars: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _NOISE.finditer(text):
        for index in range(position, match.start()):
            chars.append(text[index])
            offsets.append(base + index)
        position = match.end()
    for index in range(position, len(text)):
        chars.append(text[index])
        offsets.append(base + index)
    return "".join(chars), offsets


def _lines(text: str) -> Iterator[tuple[int, str]]:
    position = 0
    for line in text.splitlines(keepends=True):
        yield position, line.rstrip("\r\n")
        position += len(line)


def _continues(previous: str, following: str) -> bool:
    """Whether ``following`` carries on the paragraph that ``previous`` ends.

    PDF extractions wrap lines mid-sentence and leave a trailing space or a hyphen; a line
    that stops without terminal punctuation and is followed by a lower-case word is also a
    wrap. A title line without punctuation followed by a capitalised line is not.
    """
    if not previous or not following:
        return False
    # Emphasis markers and link residue after the last word do not end a sentence.
    stripped = re.sub(r"(?:\*\*|</?u>|\]\([^)]*\)|[¹²³⁴⁵⁶⁷⁸⁹⁰])+$", "", previous.rstrip()).rstrip()
    if previous.endswith(" ") and not stripped.endswith(_TERMINAL):
        return True
    if stripped.endswith("-") and following[:1].islower():
        return True
    first = following.lstrip()[:1]
    if (
        not stripped.endswith(_TERMINAL)
        and len(stripped) > 200
        and (first.isalpha() or first in "([")
    ):
        # A long prose line that stops mid-sentence was cut by a page break.
        return True
    return bool(not stripped.endswith(_TERMINAL) and first.islower())


def _wrapped_continues(previous: str, following: str, width: int) -> bool:
    # In wrapped text a line that stops without terminal punctuation carries on when it
    # reaches the wrap width; a short line ends its paragraph (a title, a caption's end), and
    # links or list items never continue one.
    stripped = previous.rstrip()
    if stripped.endswith(_TERMINAL) or len(stripped) < 0.7 * width:
        return False
    if re.match(r"https?://", stripped) or re.match(r"https?://", following):
        return False
    if re.search(r"\b(?:19|20)\d\d\s*(?:©.*)?$", stripped) and re.search(r"[-–—]\s*\w+", stripped):
        return False  # a photo caption ends with its date
    if len(following) < 40 and not following.endswith(_TERMINAL) and following[:1].isupper():
        return False  # a short capitalised line: a name or a title, not a continuation
    return not re.match(r"^(?:[-•➤■]|[IVX]+\.|[A-Z]\.|\d{1,2}[.)-])\s", following)


_FOOTNOTE = re.compile(r"^\s*(?:[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\d{1,2}\.)\s+\S")


def wrap_width(text: str) -> int:
    """The fixed width the text was wrapped at (a PDF or e-mail extraction), or 0 when it
    was not: most longer lines stop mid-sentence and their lengths cluster."""
    lengths = [len(line.rstrip()) for line in text.splitlines() if len(line.strip()) > 40]
    if len(lengths) < 20:
        return 0
    unterminated = sum(
        1
        for line in text.splitlines()
        if len(line.strip()) > 40 and not line.rstrip().endswith(_TERMINAL)
    )
    lengths.sort()
    median = lengths[len(lengths) // 2]
    return median if unterminated / len(lengths) > 0.5 and 50 <= median <= 130 else 0


def is_hard_wrapped(text: str) -> bool:
    return wrap_width(text) > 0


def _raw_paragraphs(text: str) -> Iterator[list[tuple[int, str]]]:
    block: list[tuple[int, str]] = []
    footnotes: list[list[tuple[int, str]]] = []
    width = wrap_width(text)
    for offset, line in _lines(text):
        if not line.strip():
            continue
        if block and width and _wrapped_continues(block[-1][1], line.strip(), width):
            block.append((offset, line))
            continue
        if block and _continues(block[-1][1], line.strip()):
            block.append((offset, line))
            continue
        if (
            block
            and block[-1][1].rstrip().endswith("-")
            and _FOOTNOTE.match(line)
            and len(line) < 300
        ):
            # A page footer between the halves of a hyphenated word: set it aside and keep
            # the paragraph open for the second half.
            footnotes.append([(offset, line)])
            continue
        if block:
            yield block
        yield from footnotes
        footnotes = []
        block = [(offset, line)]
    if block:
        yield block
    yield from footnotes


def _join(block: list[tuple[int, str]]) -> tuple[str, list[int]]:
    chars: list[str] = []
    offsets: list[int] = []
    for offset, line in block:
        leading = len(line) - len(line.lstrip())
        body = line.strip()
        body_start = offset + leading
        if chars:
            if chars[-1] == "-" and body[:1].islower() and len(chars) > 1 and chars[-2].isalpha():
                # A word hyphenated across a line break: drop the hyphen, join the halves.
                chars.pop()
                offsets.pop()
            else:
                chars.append(" ")
                offsets.append(body_start)
        for index, char in enumerate(body):
            chars.append(char)
            offsets.append(body_start + index)
    return "".join(chars), offsets


def _clean(joined: str, offsets: list[int]) -> tuple[str, list[int]]:
    stripped, local = _strip_noise(joined, 0)
    mapped = [offsets[i] for i in local]
    # Collapse runs of whitespace the markup removal may leave behind.
    chars: list[str] = []
    out_offsets: list[int] = []
    for char, offset in zip(stripped, mapped, strict=True):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        out_offsets.append(offset)
    while chars and chars[-1] == " ":
        chars.pop()
        out_offsets.pop()
    while chars and chars[0] == " ":
        chars.pop(0)
        out_offsets.pop(0)
    return "".join(chars), out_offsets


def split_sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) ranges of the sentences of a cleaned paragraph."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        cut = match.start() + 1
        word = re.search(r"([\w.]+)$", text[start : cut - 1])
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            continue
        end = match.end()
        ranges.append((start, end))
        start = end
    if start < len(text):
        ranges.append((start, len(text)))
    return [(s, e) for s, e in ranges if text[s:e].strip()]


def segment(text: str) -> list[Paragraph]:
    """Paragraphs of ``text`` with their sentences, all mapped to original offsets."""
    paragraphs: list[Paragraph] = []
    for block in _raw_paragraphs(text):
        joined, offsets = _join(block)
        cleaned, mapped = _clean(joined, offsets)
        if not cleaned:
            continue
        sentences = []
        for local_start, local_end in split_sentences(cleaned):
            body = cleaned[local_start:local_end].rstrip()
            if not body:
                continue
            sentences.append(
                Sentence(
                    text=body,
                    start=mapped[local_start],
                    end=mapped[local_start + len(body) - 1] + 1,
                    local_start=local_start,
                    local_end=local_start + len(body),
                )
            )
        paragraphs.append(
            Paragraph(
                text=cleaned,
                start=mapped[0],
                end=mapped[-1] + 1,
                sentences=tuple(sentences),
                offsets=tuple(mapped),
            )
        )
    return paragraphs
