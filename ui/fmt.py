"""Formatting for pages: times in the viewer's zone, CSV bytes, paging controls."""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from services.errors import UserError

PAGE_SIZES = (10, 25, 50, 100)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters markdown, HTML, LaTeX ($) or Streamlit's directives (:red[…]) act on anywhere in a line (links and
# images need "[", so "!", "(" and ")" stay as they are), and the markers that only count at a line's start.
_INLINE = re.compile(r"([\\`*_\[\]<>$~|])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+(?=[.)]))", flags=re.M)


def literal(value: object) -> str:
    """User text (names, titles, message text, error details) made inert for Streamlit's markdown elements."""
    escaped = _LINE_START.sub(_escape_marker, _INLINE.sub(r"\\\1", str(value)))
    return escaped.replace("\n", "  \n")


def _escape_marker(match: re.Match) -> str:
    """A heading, quote or list marker at a line's start, escaped ("1." becomes "1\\.")."""
    indent, marker = match.group(1), match.group(2)
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def error_text(exc: UserError, labels: dict[str, str]) -> str:
    """A validation message, shown literally, with the label of the field it is about."""
    label = labels.get(exc.field or "")
    return f"**{label}:** {literal(exc.message)}" if label else literal(exc.message)


def local(at: datetime | None, zone_name: str) -> str:
    """A UTC instant as wall-clock text in a zone ('' when missing)."""
    if at is None or (isinstance(at, float) and math.isnan(at)):
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M %Z")


@functools.lru_cache(maxsize=4096)
def slot(slot: str | None, slot_zone: str | None, zone_name: str) -> str:
    """An occurrence slot (the wall-clock 'YYYY-MM-DDTHH:MM' of its zone group, or 'once') in the viewer's zone."""
    if not slot or slot == "once":
        return "one-time send" if slot else ""
    try:
        at = datetime.fromisoformat(slot).replace(tzinfo=ZoneInfo(slot_zone or zone_name))
    except (ValueError, KeyError):  # an odd stored slot is shown, never a crash
        return slot.replace("T", " ")
    return local(at, zone_name)


def slot_zone(row: dict) -> str:
    """The zone a delivery's slot is the wall-clock time of: the client's for "each client's own zone" messages."""
    return row.get("client_zone") if row.get("zone_mode") == "client" else row.get("message_zone")


def zone_note(zone_name: str) -> None:
    """The sentence every page with times carries: which zone they are in."""
    st.caption(f"Times are shown in your zone, {zone_name}.")


def csv_bytes(frame: pd.DataFrame, header: bool = True) -> bytes:
    """A table as UTF-8 CSV for st.download_button, safe to open in a spreadsheet (header=False: a later chunk)."""
    return spreadsheet_safe(frame).to_csv(index=False, header=header).encode("utf-8")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection)."""
    safe = frame.copy()
    for name in safe.columns:
        column = safe[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        try:  # column-wise, so a large export is not one Python call per cell
            risky = column.str.startswith(_FORMULA_STARTS, na=False).astype(bool)
        except AttributeError:  # an object column holding no text at all
            continue
        if risky.any():
            safe[name] = column.astype(object).where(~risky, "'" + column[risky].astype(str))
    return safe


def safe_cell(value: object) -> str:
    """One CSV cell as csv_bytes writes text: '' for None, an apostrophe before a formula-like start."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def pager(prefix: str, total: int) -> tuple[int, int]:
    """Page size and page number widgets; returns (limit, offset) and says which rows are shown."""
    left, right, info = st.columns([1, 1, 3])
    size = left.selectbox("Rows per page", PAGE_SIZES, index=1, key=f"{prefix}_page_size")
    pages = max(1, math.ceil(total / size))
    key = f"{prefix}_page"
    if st.session_state.get(key, 1) > pages:  # the filter shrank the list: stay on its last page
        st.session_state[key] = pages
    number = int(right.number_input("Page", min_value=1, max_value=pages, step=1, key=key))
    offset = (number - 1) * size
    shown = f"{offset + 1}–{min(offset + size, total)}" if total else "0"
    info.caption(f"Showing {shown} of {total} (page {number} of {pages}).")
    return size, offset


def all_pages(fetch, limit: int = 500, cap: int = 10_000) -> list[dict]:
    """Every row of a paged store query (fetch(limit, offset) → (rows, total)) for CSV export."""
    rows: list[dict] = []
    while len(rows) < cap:
        page, total = fetch(limit, len(rows))
        rows += page
        if not page or len(rows) >= total:
            break
    return rows


def coach_filter(column, coach_names: dict[str, str] | None, key: str) -> str | None:
    """Support's "Coach" filter (None = all coaches); nothing is drawn for a coach, who sees only their own."""
    if coach_names is None:
        return None
    return column.selectbox(
        "Coach", list(coach_names), format_func=coach_names.get, index=None, key=key, placeholder="All coaches"
    )


def show_flash(key: str) -> None:
    """Show (once) the outcome an action stored as (kind, text) before its rerun."""
    # Always one container, empty or not: a message that appears for one run only would shift every element
    # below it, and while the browser redraws, the old copies of the buttons stay clickable at their old places.
    slot = st.container()
    flash = st.session_state.pop(key, None)
    if flash:
        getattr(slot, flash[0])(flash[1])
