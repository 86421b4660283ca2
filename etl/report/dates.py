"""Dates and times as reports write them.

Monthly reports date incidents as "On Friday, March 12, 2021", often without the year
("On Saturday, December 9"): the year then comes from the report's period, checked against
the weekday so a January report recalling "Sunday, December 31" lands in the right year.
Torture cases carry two dates, the day a family learned of a death and the day the death
happened; the incident is dated by the death when the text gives it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

# Each month's spellings, full name first.
_MONTH_SPELLINGS = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTHS = {name: number for number, names in enumerate(_MONTH_SPELLINGS, start=1) for name in names}
#: Full month names only: the abbreviations ("jan", "mar", "dec") are also given names and
#: words, so a list of "words that are not names" must not take them.
MONTH_NAMES = tuple(names[0] for names in _MONTH_SPELLINGS)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTH_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_WEEKDAY_NAMES = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART_OF_DAY = r"(?:\s+(?:morning|noon|afternoon|evening|night|dawn|midnight))?"

# "Friday, March 12, 2021", "Friday March 12", "March 12, 2021", "12 March 2021".
DAY_DATE = re.compile(
    rf"(?:(?P<weekday>{_WEEKDAY_NAMES}){_PART_OF_DAY},?\s+)?"
    rf"(?:(?P<month>{_MONTH_NAMES})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month2>{_MONTH_NAMES}))"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?(?!\d)",
    re.IGNORECASE,
)
MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH_NAMES}),?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
YEAR_ONLY = re.compile(r"\b(?:in|during|since)\s+(?P<year>(?:19|20)\d\d)\b")
TIME = re.compile(
    r"\b(?:at|around|about|approximately|between)\s+(?:around\s+|about\s+)?"
    r"(?P<hour>[012]?\d)[:.](?P<minute>[0-5]\d)(?!\d)(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?",
    re.IGNORECASE,
)
SAME_DAY = re.compile(r"\bon the same day\b", re.I)


@dataclass(frozen=True)
class DateMention:
    value: str  # ISO, as precise as the text allows
    precision: str  # day | month | year
    start: int
    end: int
    has_year: bool


@dataclass(frozen=True)
class Period:
    """The time a report covers: a month ("2021-03") or a year ("2023")."""

    year: int
    month: int | None

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}" if self.month else f"{self.year:04d}"


def detect_period(text: str) -> Period | None:
    """The month (or year) a report covers, read from its title area.

    Titles say "... in March 2021" or "Documented in 2023"; the publication date that
    follows ("Thursday 1 April 2021") is a month later, so the most frequent month-year in
    the opening text wins over the first one seen.
    """
    head = text[:1500]
    cut = re.search(r"\bfounded in\b", head)
    if cut:
        head = head[: cut.start()]
    month_years = Counter(
        (int(m.group("year")), MONTHS[m.group("month").lower()])
        for m in MONTH_YEAR.finditer(head)
        if not re.search(r"\bsince\s*$", head[max(0, m.start() - 8) : m.start()], re.I)
    )
    dated_days = {
        (int(m.group("year")), MONTHS[(m.group("month") or m.group("month2")).lower()])
        for m in DAY_DATE.finditer(head)
        if m.group("year") and m.group("weekday")
    }
    for (year, month), _ in month_years.most_common():
        # A publication date line counts as a month-year too; prefer a month that is not
        # merely the publication date.
        if (year, month) in dated_days and len(month_years) > 1:
            continue
        return Period(year, month)
    if month_years:
        (year, month), _ = month_years.most_common(1)[0]
        return Period(year, month)
    years = Counter(int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", head))
    if years:
        return Period(years.most_common(1)[0][0], None)
    return None


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def infer_year(month: int, day: int, weekday: str | None, period: Period | None) -> int | None:
    """The year of a date written without one: the report's year, or a neighbour that
    matches the weekday given."""
    if period is None:
        return None
    base = period.year
    candidates = [base, base - 1, base + 1]
    if period.month is not None and month > period.month + 1:
        # A December incident recalled in a January report belongs to the previous year.
        candidates = [base - 1, base, base + 1]
    if weekday:
        wanted = WEEKDAYS.index(weekday.lower())
        for year in candidates:
            day_value = _valid(year, month, day)
            if day_value and day_value.weekday() == wanted:
                return year
    return candidates[0]


NUMERIC_DATE = re.compile(
    r"\b(?P<iso_year>(?:19|20)\d\d)-(?P<iso_month>\d\d)-(?P<iso_day>\d\d)\b"
    r"|\b(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>(?:19|20)\d\d)\b"
)
# "In March 2021, ...", "In late May 2019, ...": an incident dated to the month only.
MONTH_ANCHOR = re.compile(
    rf"^(?:On\s+an\s+unknown\s+day\s+)?(?:In|During)\s+(?:(?:early|mid|late)[- ])?"
    rf"(?P<month>{_MONTH_NAMES}),?\s+(?P<year>(?:19|20)\d\d)\s*,",
    re.IGNORECASE,
)


def find_month_anchor(sentence: str) -> DateMention | None:
    match = MONTH_ANCHOR.match(sentence)
    if not match:
        return None
    month = MONTHS[match.group("month").lower()]
    return DateMention(
        f"{int(match.group('year')):04d}-{month:02d}",
        "month",
        match.start(),
        match.end(),
        has_year=True,
    )


def _numeric_dates(text: str) -> list[DateMention]:
    found = []
    for match in NUMERIC_DATE.finditer(text):
        if match.group("iso_year"):
            year, month, day = (int(match.group(g)) for g in ("iso_year", "iso_month", "iso_day"))
        else:
            # Syrian and European documents write day/month/year.
            year, month, day = (int(match.group(g)) for g in ("year", "month", "day"))
        if _valid(year, month, day) is None:
            continue
        found.append(
            DateMention(
                f"{year:04d}-{month:02d}-{day:02d}",
                "day",
                match.start(),
                match.end(),
                has_year=True,
            )
        )
    return found


def find_dates(text: str, period: Period | None) -> list[DateMention]:
    """Day-precision dates in ``text`` with their local offsets."""
    found: list[DateMention] = _numeric_dates(text)
    for match in DAY_DATE.finditer(text):
        month_name = match.group("month") or match.group("month2")
        day_text = match.group("day") or match.group("day2")
        if not month_name or not day_text:
            continue
        month, day = MONTHS[month_name.lower()], int(day_text)
        if match.group("year"):
            year: int | None = int(match.group("year"))
        else:
            year = infer_year(month, day, match.group("weekday"), period)
        if year is None or _valid(year, month, day) is None:
            continue
        found.append(
            DateMention(
                value=f"{year:04d}-{month:02d}-{day:02d}",
                precision="day",
                start=match.start(),
                end=match.end(),
                has_year=bool(match.group("year")),
            )
        )
    return sorted(found, key=lambda mention: mention.start)


def find_month_or_year(text: str) -> list[DateMention]:
    """Month-precision ("in July 2018") and year-precision ("in 2021") mentions."""
    found = [
        DateMention(
            value=f"{int(m.group('year')):04d}-{MONTHS[m.group('month').lower()]:02d}",
            precision="month",
            start=m.start(),
            end=m.end(),
            has_year=True,
        )
        for m in MONTH_YEAR.finditer(text)
    ]
    taken = [(d.start, d.end) for d in found]
    for match in YEAR_ONLY.finditer(text):
        if any(s <= match.start("year") < e for s, e in taken):
            continue
        found.append(
            DateMention(
                value=match.group("year"),
                precision="year",
                start=match.start("year"),
                end=match.end("year"),
                has_year=True,
            )
        )
    return sorted(found, key=lambda d: d.start)


HOUR_ONLY = re.compile(
    r"\b(?:at|around|about|approximately)\s+(?:around\s+|about\s+)?(?P<hour>1[0-2]|0?[1-9])"
    r"\s*(?P<ampm>[ap])\.?\s?m\b\.?",
    re.IGNORECASE,
)


def find_time(text: str) -> str | None:
    """The first clock time ("at around 20:00", "12:17 p.m.", "at 5 pm") as HH:MM, or None."""
    hour_only = HOUR_ONLY.search(text)
    clock = TIME.search(text)
    if hour_only and (clock is None or hour_only.start() < clock.start()):
        hour = int(hour_only.group("hour")) % 12
        if hour_only.group("ampm").lower() == "p":
            hour += 12
        return f"{hour:02d}:00"
    for match in TIME.finditer(text):
        hour, minute = int(match.group("hour")), int(match.group("minute"))
        ampm = (match.group("ampm") or "").lower()
        if ampm == "p" and hour < 12:
            hour += 12
        elif ampm == "a" and hour == 12:
            hour = 0
        if hour < 24:
            return f"{hour:02d}:{minute:02d}"
    return None


_LEARNED = re.compile(
    r"\b(?:learn(?:ed|t)|informed|notified|told|was\s+confirmed|received\s+news)\b", re.I
)
_DIED = re.compile(r"\b(?:died|death|killed|passed away)\b", re.I)
_ARRESTED_BEFORE = re.compile(
    r"\b(?:arrested|detained|abducted|born|issued|published|released|dated|since)\b[^.;]{0,25}$",
    re.I,
)


def is_context_date(sentence: str, mention: DateMention) -> bool:
    """Dates that are not when harm happened: arrests, births, documents, report issues."""
    return bool(_ARRESTED_BEFORE.search(sentence[max(0, mention.start - 40) : mention.start]))


def death_date(sentence: str, period: Period | None) -> DateMention | None:
    """In "his family learned he had died ... on October 27, 2023" (or "... in 2021"),
    the date of the death rather than the date of the news."""
    learned = _LEARNED.search(sentence)
    if not learned:
        return None
    died = _DIED.search(sentence, learned.end())
    if not died:
        return None
    tail_start = died.end()
    days = [d for d in find_dates(sentence, period) if d.start >= tail_start]
    if days:
        return days[0]
    coarse = [d for d in find_month_or_year(sentence) if d.start >= tail_start]
    return coarse[0] if coarse else None
