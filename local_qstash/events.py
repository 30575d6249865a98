"""Log events (GET /v2/events, /v2/logs): filtered, newest first, cursor paged."""

from collections.abc import Sequence

from local_qstash.db import Database
from local_qstash.options import BadRequest

_FILTERS = {
    "messageId": "e.message_id = ?",
    "state": "e.state = ?",
    "url": "e.url = ?",
    "scheduleId": "e.schedule_id = ?",
    "label": "e.label = ?",
    "fromDate": "e.time_ms >= ?",
    "toDate": "e.time_ms <= ?",
}
_SELECT = (
    "SELECT e.*, m.header, m.body, m.method, m.max_retries, m.callback,"
    " m.failure_callback, m.timeout_s FROM events e"
    " LEFT JOIN messages m ON m.id = e.message_id"
)


def page(
    db: Database, filters: dict, message_ids: Sequence[str], cursor: str | None, count: int
) -> tuple[list, str | None]:
    """Return (rows, next cursor or None); the cursor "time-seq" names the last row seen."""
    where, params = [], []
    for name, clause in _FILTERS.items():
        if filters.get(name) not in (None, ""):
            where.append(clause)
            params.append(filters[name])
    if message_ids:
        where.append(f"e.message_id IN ({', '.join('?' * len(message_ids))})")
        params.extend(message_ids)
    if cursor is not None:
        # Newest first by event time; seq breaks ties (rows from concurrent writers can be
        # inserted slightly out of time order).
        time_ms, seq = parse_cursor(cursor)
        where.append("(e.time_ms < ? OR (e.time_ms = ? AND e.seq < ?))")
        params.extend((time_ms, time_ms, seq))
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = db.query(sql + " ORDER BY e.time_ms DESC, e.seq DESC LIMIT ?", (*params, count + 1))
    more = len(rows) > count
    rows = rows[:count]
    return rows, (f"{rows[-1]['time_ms']}-{rows[-1]['seq']}" if more and rows else None)


def parse_cursor(cursor: str) -> tuple[int, int]:
    """Split a "time-seq" cursor; BadRequest when malformed."""
    try:
        time_ms, seq = cursor.split("-")
        return int(time_ms), int(seq)
    except ValueError:
        raise BadRequest("invalid cursor") from None
