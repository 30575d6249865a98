"""Log events (GET /v2/events, /v2/logs): filtered, newest first, cursor paged."""
from typing import List, Optional, Sequence, Tuple

from local_qstash.db import Database

_FILTERS = {
    "messageId": "e.message_id = ?",
    "state": "e.state = ?",
    "url": "e.url = ?",
    "scheduleId": "e.schedule_id = ?",
    "label": "e.label = ?",
    "fromDate": "e.time_ms >= ?",
    "toDate": "e.time_ms <= ?",
}
_SELECT = ("SELECT e.*, m.header, m.body, m.method, m.max_retries, m.callback,"
           " m.failure_callback, m.timeout_s FROM events e"
           " LEFT JOIN messages m ON m.id = e.message_id")


def page(db: Database, filters: dict, message_ids: Sequence[str], cursor: Optional[int],
         count: int) -> Tuple[List, Optional[int]]:
    """Return (rows, next cursor or None); cursor is the last seq already seen."""
    where, params = [], []
    for name, clause in _FILTERS.items():
        if filters.get(name) not in (None, ""):
            where.append(clause)
            params.append(filters[name])
    if message_ids:
        where.append(f"e.message_id IN ({', '.join('?' * len(message_ids))})")
        params.extend(message_ids)
    if cursor is not None:
        where.append("e.seq < ?")
        params.append(cursor)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = db.query(sql + " ORDER BY e.seq DESC LIMIT ?", (*params, count + 1))
    more = len(rows) > count
    rows = rows[:count]
    return rows, (rows[-1]["seq"] if more and rows else None)
