"""Numbers in the spellings people write them: ``1234.5``, ``1,234.5``, ``1.234,5``, ``101,288``.

A column is numbers when its cells are digits with signs and separators, whatever the
decimal mark; only then does the reader decide which mark is the decimal one, from the
cells themselves (a comma followed by other than three digits, both marks in one cell,
a second comma or dot) or from the file's delimiter (``;`` files use decimal commas).
When nothing decides, the column is refused with the fix, never guessed: a wrong guess
is a factor of 1,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# digits with an optional sign, currency mark, grouping and decimal marks, percent
# The patterns are written for RE2 too: with pyarrow-backed strings, pandas before 3.1 hands
# .str regexes to pyarrow (RE2), which has no \uXXXX escapes and no look-behind; so the
# no-break and narrow no-break spaces are the characters themselves (a plain, not raw, string).
_SPACES = " '\u00a0\u202f"
_CUR = r"(?:[$€£¥]|[A-Z]{3})"  # a currency sign or an ISO code (EUR, USD), before or after the digits
_SPELLED = re.compile(rf"^[+-]?(?:{_CUR}\s?)?[+-]?[\d.,{_SPACES}]*\d[\d.,{_SPACES}]*\s?(?:{_CUR}|%)?$"
                      r"|^[+-]?[.,]\d+$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPS = re.compile(f"[{_SPACES}]")
_MARKS = re.compile(r"[.,]")
_CURRENCY = re.compile(rf"^([+-]?){_CUR}\s?")  # a leading currency mark after the sign
_CURRENCY_AFTER = re.compile(rf"\s?{_CUR}$")  # '56,25 €' (Europe), '12.5 USD'
_PERCENT = re.compile(r"\s?%$")
_PARENS = re.compile(r"^\((.*\d.*)\)$")  # accounting's negative: (1,234.50)
_TRAILING_MINUS = re.compile(r"^([^+-].*\d\s?%?)-$")  # SAP's and some ledgers' negative: 1.234,50-


@dataclass(frozen=True)
class Spelling:
    """How a column writes its numbers: the decimal mark and what was stripped."""

    decimal: str  # "." or ","
    grouped: bool  # thousands separators were present
    note: str | None  # what the reader decided, for the notes; None for plain numbers
    percent: bool = False  # '12.5%' reads as 12.5 (the number written, in percent)


def _signed(cells: pd.Series) -> pd.Series:
    """Accounting negatives, (12.5) and 12,5-, written with a leading minus."""
    return cells.str.replace(_PARENS, r"-\1", regex=True).str.replace(_TRAILING_MINUS, r"-\1", regex=True)


def looks_numeric(cells: pd.Series) -> pd.Series:
    """Per cell: digits in some spelling (plain, grouped, decimal comma, currency, percent,
    an accounting negative)."""
    stripped = _signed(cells.str.strip().str.strip('"'))
    spelled = stripped.str.fullmatch(_SPELLED) | stripped.str.fullmatch(_PLAIN)  # 1.2e+06 too
    return spelled & stripped.str.contains(r"\d")


def _votes(cells: pd.Series) -> tuple[int, int]:
    """(cells that need a decimal comma, cells that need a decimal point)."""
    comma = point = 0
    for cell in cells:
        marks = _MARKS.findall(cell)
        if not marks:
            continue
        last = marks[-1]
        if len(set(marks)) == 2:  # both marks: the last one is the decimal mark
            comma += last == ","
            point += last == "."
        elif marks.count(last) > 1:  # 1.234.567 or 1,234,567: grouping, no decimals
            comma += last == "."
            point += last == ","
        elif last == "." and not re.search(r"\.\d{3}$", cell):
            point += 1  # 1.5 / 1.2345: a decimal point
        elif last == "," and re.search(r",(\d{1,2}|\d{4,})$|^[+-]?,", cell):
            comma += 1  # 1,5 / 1,2345: a decimal comma
    return comma, point


def _bare(cells: pd.Series) -> pd.Series:
    """The cells with a leading minus for an accounting negative and without a currency mark or
    code before or after the digits, or a percent sign."""
    text = _signed(cells).str.replace(_CURRENCY, r"\1", regex=True).str.replace(_CURRENCY_AFTER, "", regex=True)
    return text.str.replace(_PERCENT, "", regex=True)


def spelling(cells: pd.Series, sep: str, where: str, column: str) -> Spelling:
    """The column's decimal mark, decided from its cells and the delimiter, or a ValueError."""
    written = cells[cells != ""]
    present = _bare(written)
    signed = _signed(written)
    currency = bool((signed.str.replace(_PERCENT, "", regex=True) != present).any())
    percent = bool(written.str.contains(_PERCENT).any() or signed.str.contains(_PERCENT).any())
    accounting = bool((signed != written).any())
    plain_only = bool(present.str.fullmatch(_PLAIN).all()) and not (currency or percent or accounting)
    if plain_only and sep != ";":
        return Spelling(".", False, None)
    comma, point = _votes(present)
    has_comma = bool(present.str.contains(",", regex=False).any())
    dotted = present[present.str.contains(r"^[+-]?\d{1,3}(?:\.\d{3})+$")]
    if sep == ";" and not comma and not point and not has_comma and len(dotted):
        raise ValueError(  # a ';' file is European: '1.234' may be 1234 as well as 1.234
            f"{where}: column '{column}' has numbers like '{dotted.iloc[0]}' where '.' could be a "
            "decimal point or a thousands separator; write them without thousands separators "
            "(1234,5 or 1234.5)"
        )
    if plain_only:
        return Spelling(".", False, None)
    if comma and point:
        raise ValueError(
            f"{where}: column '{column}' writes numbers with both decimal commas and decimal "
            "points; write them all one way (1234.5)"
        )
    if comma or (not point and has_comma and sep == ";"):
        decimal = ","
    elif point or not has_comma:
        decimal = "."
    else:
        example = present[present.str.contains(",", regex=False)].iloc[0]
        raise ValueError(
            f"{where}: column '{column}' has numbers like '{example}' where ',' could be a decimal "
            "comma or a thousands separator; write them without thousands separators (1234.5), "
            "or separate the columns with ';' for decimal commas"
        )
    grouping = r"\." if decimal == "," else ","
    grouped = bool(present.str.contains(grouping).any() or present.str.contains(_GROUPS).any())
    if decimal == "." and not grouped and not currency and not percent and not accounting:
        return Spelling(".", False, None)  # plain numbers besides text cells reported later
    what = ("decimal commas" if decimal == "," else "a decimal point") + (
        " and thousands separators" if grouped else "") + (" and currency marks" if currency else "") + (
        " and percent signs (kept in percent: 12.5% is 12.5)" if percent else "") + (
        " and accounting negatives ((12.5) or 12.5- is -12.5)" if accounting else "")
    return Spelling(decimal, grouped, f"column {column}: read numbers written with {what}", percent)


def plain(cells: pd.Series, how: Spelling) -> pd.Series:
    """Cells rewritten as plain numbers ('1,234.5' -> '1234.5'); other cells kept as they are."""
    if how.note is None:
        return cells
    text = _bare(cells.str.replace(_GROUPS, "", regex=True))
    if how.decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return text.where(text.str.fullmatch(_PLAIN), cells)


__all__ = ["Spelling", "looks_numeric", "spelling", "plain"]
