"""The Delivery Log's CSV export: built when asked, streamed from one cursor, a chunk at a time, with progress."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import BinaryIO

import streamlit as st

from ui import fmt, log_views

CHUNK = 5000  # rows per DataFrame: big enough for pandas to be quick, small enough to keep memory flat


def write_csv(rows: Iterable[dict], zone: str, sink: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
    """Write every row as spreadsheet-safe CSV to sink (header once); returns how many rows were written."""
    written, chunk, when = 0, [], MinuteFormatter(zone)
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            written = _flush(chunk, when, sink, written, progress)
            chunk = []
    if chunk or not written:
        written = _flush(chunk, when, sink, written, progress)
    return written


class MinuteFormatter:
    """fmt.local for the export's times (UTC minutes as the store streams them): each minute formatted once."""

    def __init__(self, zone: str):
        self.zone = zone
        self.seen: dict[datetime | str, str] = {}

    def __call__(self, minute: datetime | str | None) -> str:
        """The time as the page shows it."""
        if minute is None:
            return ""
        text = self.seen.get(minute)
        if text is None:
            if len(self.seen) > 100_000:  # bounded: an export spanning years must not grow this forever
                self.seen.clear()
            at = datetime.fromisoformat(minute) if isinstance(minute, str) else minute
            text = self.seen[minute] = fmt.local(at.replace(tzinfo=UTC), self.zone)
        return text


def controls(
    key: str,
    signature: object,
    total: int,
    stream: Callable[[], Iterable[dict]],
    zone: str,
    file_name: str = "deliveries.csv",
) -> None:
    """A Prepare button that builds the CSV with a progress bar, then the download of what it built."""

    def build() -> bytes:
        """Stream every row into CSV bytes, showing progress."""
        bar = st.progress(0.0, text="Preparing the CSV…")
        sink = io.BytesIO()
        written = write_csv(
            stream(), zone, sink, lambda done: bar.progress(min(1.0, done / total), text=f"{done:,} of {total:,} rows")
        )
        bar.progress(1.0, text=f"{written:,} rows ready.")
        return sink.getvalue()

    prepared_download(key, signature, build, file_name, disabled=not total)


def prepared_download(
    key: str, signature: object, build: Callable[[], bytes], file_name: str, disabled: bool = False
) -> None:
    """A Prepare CSV button that calls `build` only when pressed, then the download of what it built (kept
    while `signature`, the filters it was built for, stays the same)."""
    state = st.session_state
    if state.get(f"{key}_for") != signature:  # other filters: what was built no longer matches
        state.pop(f"{key}_data", None)
    if st.button("Prepare CSV", key=f"{key}_prepare", icon=":material/table_view:", disabled=disabled):
        state[f"{key}_data"], state[f"{key}_for"] = build(), signature
    if f"{key}_data" in state:
        st.download_button(
            "Download CSV",
            state[f"{key}_data"],
            file_name=file_name,
            mime="text/csv",
            key=key,
            icon=":material/download:",
        )


def _flush(chunk: list[dict], when: MinuteFormatter, sink: BinaryIO, written: int, progress) -> int:
    """Write one chunk (with the header when it is the first) and report progress."""
    sink.write(fmt.csv_bytes(log_views.deliveries(chunk, when.zone, True, when=when), header=written == 0))
    written += len(chunk)
    if progress is not None:
        progress(written)
    return written
