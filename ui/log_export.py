"""The Delivery Log's CSV export: built when asked, streamed from one cursor, a chunk at a time, with progress."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import BinaryIO

import streamlit as st

from ui import fmt

CHUNK = 5000  # rows per csv.writerows call: progress is reported once per chunk
HEADER = ["Coach", "Client", "Message", "Slot", "Status", "Attempts", "Last error", "Sent at", "Updated", "Delivery id"]
# The stream's attributes behind HEADER, in its order.
_FIELDS = ("coach", "client", "message", "slot", "status", "attempts", "last_error", "sent_at", "updated_at", "id")
_SEEN_LIMIT = 100_000  # bounded caches: an export spanning years must not grow them forever


def write_csv(rows: Iterable, zone: str, sink: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
    """Write every row as spreadsheet-safe CSV to sink (header once); returns how many rows were written.

    Rows are the store's stream (attributes id, coach, client, message, …). A million of them must go out at tens
    of thousands a second, so each row is one tuple built from two C-level caches: times are formatted once per
    minute and names neutralised once per distinct text (names and errors repeat across a log).
    """
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")  # as pandas' to_csv wrote it
    writer.writerow(HEADER)
    when, safe, written = MinuteFormatter(zone), SafeCells(), 0
    for chunk in read_ahead(rows, CHUNK):
        written = _flush(writer, chunk, when, safe, written, progress)
    text.flush()
    text.detach()  # the sink stays open for the caller
    return written


def read_ahead(rows: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` rows; the next one is fetched on a thread while the caller works on this one.

    The database's share of an export (its scan, the network, the driver's decoding, which waits without the GIL)
    then overlaps the CSV writing instead of adding to it.
    """
    source = iter(rows)

    def take() -> list:
        return list(itertools.islice(source, size))

    with ThreadPoolExecutor(1, thread_name_prefix="csv-read-ahead") as pool:
        pending = pool.submit(take)
        while chunk := pending.result():
            pending = pool.submit(take)
            yield chunk


class MinuteFormatter(dict):
    """fmt.local for the export's times (UTC minutes as the store streams them): `when[minute]`, each formatted once."""

    def __init__(self, zone: str):
        super().__init__()
        self.zone = zone

    def __missing__(self, minute: datetime | str | None) -> str:
        """The time as the page shows it, remembered."""
        if len(self) > _SEEN_LIMIT:
            self.clear()
        if minute is None:
            text = ""
        else:
            at = datetime.fromisoformat(minute) if isinstance(minute, str) else minute
            text = fmt.local(at.replace(tzinfo=UTC), self.zone)
        self[minute] = text
        return text


class SafeCells(dict):
    """`safe[text]`: user text as fmt.safe_cell makes it, each distinct text neutralised once."""

    def __missing__(self, value: str | None) -> str:
        """The cell, remembered."""
        if len(self) > _SEEN_LIMIT:
            self.clear()
        cell = self[value] = fmt.safe_cell(value)
        return cell


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


def _flush(writer, chunk: list, when: MinuteFormatter, safe: SafeCells, written: int, progress) -> int:
    """Write one chunk of rows and report progress."""
    # Positions, not attribute names: a Row's attribute lookup costs more than the rest of the row's work.
    coach, client, message, slot, status, attempts, error, sent, updated, key = map(chunk[0]._fields.index, _FIELDS)
    writer.writerows(
        [
            (safe[r[coach]], safe[r[client]], safe[r[message]], r[slot], r[status], r[attempts], safe[r[error]],
             when[r[sent]], when[r[updated]], r[key])
            for r in chunk
        ]
    )  # fmt: skip
    written += len(chunk)
    if progress is not None:
        progress(written)
    return written
