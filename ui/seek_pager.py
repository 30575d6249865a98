"""Keyset paging controls: Newer / Older buttons over a cursor kept in the session, no OFFSET."""

from __future__ import annotations

import streamlit as st

from ui.fmt import PAGE_SIZES


def position(prefix: str, signature: object) -> tuple[int, object | None, int]:
    """Page size, the cursor to read after (None: the first page) and the page number; new filters start over."""
    size = st.selectbox("Rows per page", PAGE_SIZES, index=1, key=f"{prefix}_page_size")
    state = st.session_state
    if state.get(f"{prefix}_signature") != (signature, size):
        state[f"{prefix}_signature"] = (signature, size)
        state[f"{prefix}_cursors"] = []  # cursors of the pages before this one (a stack)
    cursors = state[f"{prefix}_cursors"]
    return size, (cursors[-1] if cursors else None), len(cursors) + 1


def controls(prefix: str, rows: list[dict], size: int, number: int, total: int, key_of) -> None:
    """Newer / Older buttons and which rows are shown; `key_of(row)` is the cursor a page ends at."""
    cursors = st.session_state[f"{prefix}_cursors"]
    newer, older, info = st.columns([1, 1, 3])
    newer.button(
        "Newer",
        key=f"{prefix}_newer",
        disabled=not cursors,
        icon=":material/chevron_left:",
        on_click=lambda: cursors.pop() if cursors else None,
    )
    older.button(
        "Older",
        key=f"{prefix}_older",
        disabled=len(rows) < size or (number * size >= total),
        icon=":material/chevron_right:",
        on_click=lambda: cursors.append(key_of(rows[-1])) if rows else None,
    )
    first = (number - 1) * size
    shown = f"{first + 1}–{first + len(rows)}" if rows else "0"
    info.caption(f"Showing {shown} of {total} (page {number}).")
