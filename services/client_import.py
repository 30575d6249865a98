"""CSV import of clients: read and check every row first (a preview with each row's problem), then write all
rows in one transaction or none.

Columns: name, email, zone, tags (separated by ';' or '|'), external_chat_id (the client's existing chat user
id, e.g. in Stream; empty: one is made). Only name and zone are required.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from services import validation
from services.domain import Actor
from services.errors import Forbidden, UserError
from services.store import Store

COLUMNS = ("name", "email", "zone", "tags", "external_chat_id")
MAX_ROWS = 10_000
MAX_BYTES = 5_000_000
_CHAT_ID = re.compile(r"[A-Za-z0-9@_-]{1,64}")  # what Stream accepts as a user id, within our column
SAMPLE_ROWS = [
    {"name": "Ada Lovelace", "email": "ada@example.com", "zone": "Europe/London", "tags": "vip;beginner"},
    {"name": "Grace Hopper", "email": "grace@example.com", "zone": "America/New_York", "tags": "advanced",
     "external_chat_id": "grace-hopper-42"},
    {"name": "Kenji Sato", "zone": "Asia/Tokyo"},
]  # fmt: skip


@dataclass
class ImportRow:
    """One data line of the file, cleaned, and what is wrong with it ('' when nothing)."""

    line: int
    name: str
    email: str | None
    timezone: str
    tags: list[str]
    chat_user_id: str | None
    problem: str = ""


@dataclass
class ImportPreview:
    """Every row of a file; `ok` when it can be imported as a whole."""

    rows: list[ImportRow] = field(default_factory=list)
    problem: str = ""  # about the file itself (encoding, columns, size)

    @property
    def errors(self) -> int:
        """How many rows have a problem."""
        return sum(1 for row in self.rows if row.problem)

    @property
    def ok(self) -> bool:
        """True when the file and every row are fine and there is something to import."""
        return not self.problem and bool(self.rows) and self.errors == 0


def read(store: Store, data: bytes) -> ImportPreview:
    """Parse and check a CSV file without writing anything."""
    if len(data) > MAX_BYTES:
        return ImportPreview(problem=f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportPreview(problem="The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "zone") if c not in headers]
    if missing:
        return ImportPreview(
            problem=f"The file needs the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})."
        )
    reader.fieldnames = headers
    preview = ImportPreview()
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        if len(preview.rows) >= MAX_ROWS:
            return ImportPreview(problem=f"The file has more than {MAX_ROWS:,} rows; split it.")
        preview.rows.append(_row(number, raw))
    _mark_clashes(store, preview.rows)
    return preview


def _row(number: int, raw: dict) -> ImportRow:
    """One cleaned row, with its first problem noted instead of raised."""
    value = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    row = ImportRow(number, value["name"], value["email"] or None, value["zone"], [], value["external_chat_id"] or None)
    try:
        row.name = validation.client_name(row.name)
        row.timezone = validation.zone(row.timezone)
        row.email = validation.email(row.email) if row.email else None
        row.tags = validation.tags(re.split(r"[;|]", value["tags"]))
        if row.chat_user_id and not _CHAT_ID.fullmatch(row.chat_user_id):
            raise UserError("The chat id may only use letters, digits, '@', '-' and '_' (up to 64).")
    except UserError as exc:
        row.problem = exc.message
    return row


def _mark_clashes(store: Store, rows: list[ImportRow]) -> None:
    """Chat ids must be unique: within the file and against every existing client."""
    seen: dict[str, int] = {}
    for row in rows:
        if row.chat_user_id and not row.problem:
            if row.chat_user_id in seen:
                row.problem = f"The chat id is also on line {seen[row.chat_user_id]}."
            seen.setdefault(row.chat_user_id, row.line)
    taken = store.client_import.taken_chat_ids(list(seen))
    for row in rows:
        if row.chat_user_id in taken and not row.problem:
            row.problem = "A client with this chat id exists already."


def write(store: Store, actor: Actor, coach_id: str, preview: ImportPreview) -> int:
    """Write every row in one transaction; refused as a whole while any row has a problem."""
    if actor.role == "coach":
        coach_id = actor.account_id
    elif not actor.sees_all_coaches:
        raise Forbidden("Your role does not allow adding clients.")
    elif coach_id not in {c.id for c in store.accounts.coaches(actor)}:
        raise UserError("Choose the coach these clients belong to.", "coach")
    if not preview.ok:
        raise UserError(preview.problem or f"{preview.errors} row(s) have problems: nothing was imported.")
    return store.client_import.add_many(actor, coach_id, [vars(row) for row in preview.rows])
