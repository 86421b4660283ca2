"""Paragraphs and sentences keep offsets into the original text."""

from __future__ import annotations

from etl.report.segment import segment, split_sentences


def test_markdown_link_residue_is_removed_but_offsets_survive() -> None:
    text = "Intro line.\n\nOn Monday, the [school](#) was hit. Dr. Salem was injured."
    [_, paragraph] = segment(text)
    assert paragraph.text == "On Monday, the school was hit. Dr. Salem was injured."
    first, second = paragraph.sentences
    assert text[first.start : first.end] == "On Monday, the [school](#) was hit."
    assert text[second.start : second.end] == "Dr. Salem was injured."


def test_pdf_wrapped_lines_and_hyphenation_are_joined() -> None:
    text = "The town was shelled by artil- \n\nlery forces on the \n\nsame day.\n\nNext one."
    paragraphs = segment(text)
    assert paragraphs[0].text == "The town was shelled by artillery forces on the same day."
    assert paragraphs[1].text == "Next one."


def test_titles_stay_separate_paragraphs() -> None:
    paragraphs = segment("A Title Without Period\n\nThe body text starts here.")
    assert [p.text for p in paragraphs] == ["A Title Without Period", "The body text starts here."]


def test_abbreviations_do_not_split_sentences() -> None:
    text = "The body of Ms. Lina was found at 10 a.m. near the mill. A second sentence."
    assert len(split_sentences(text)) == 2


def test_empty_text() -> None:
    assert segment("") == []
    assert segment("\n\n   \n") == []


def test_page_break_inside_a_long_sentence_is_joined() -> None:
    first = "Monday, May 6, 2019, a shell fell on the market of the town " + "x " * 80
    text = first + "in the\n\n\n\nMaternity Wing). The town was under the control of Qasd.\n"
    [paragraph] = segment(text)
    assert paragraph.text.endswith("The town was under the control of Qasd.")


def test_footnote_between_hyphenated_halves() -> None:
    text = (
        "We could not identify the group due to the considera-\n\n"
        "⁴ We contacted him via WhatsApp on May 2, 2019\n\n"
        "tion of the area's security situation.\n"
    )
    paragraphs = segment(text)
    assert paragraphs[0].text == (
        "We could not identify the group due to the consideration of the area's security situation."
    )
    assert paragraphs[1].text.startswith("⁴ We contacted") or "contacted" in paragraphs[1].text


def test_hard_wrapped_text_without_trailing_spaces() -> None:
    body = (
        "On Friday, May 3, 2019, a landmine planted by an unknown party exploded in Tell\n"
        "Nasr village in the eastern suburbs of Hama governorate, resulting in the deaths\n"
        "of two children. The area was under the control of Syrian regime forces at the\n"
        "time of the incident.\n"
    )
    filler = "".join(
        f"Paragraph {n} is ordinary prose that runs on across the wrapped line and it\n"
        "keeps going across another wrapped line of about the same width as before\n"
        "until it finally ends here.\n\n"
        for n in range(12)
    )
    text = "A Short Title\n\n" + body + "\n" + filler
    paragraphs = segment(text)
    assert paragraphs[0].text == "A Short Title"
    assert paragraphs[1].text.startswith("On Friday, May 3, 2019")
    assert paragraphs[1].text.endswith("at the time of the incident.")
