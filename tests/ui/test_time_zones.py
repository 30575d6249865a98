"""Issue 9 item 4: every page states the viewer's zone and shows every time in it (or with its zone); no ISO
instants or raw slots reach a page."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest

from tests.ui.conftest import account
from tests.ui.markdown import as_read
from tests.ui.tables import select_row

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]\d\d:\d\d(?!\d)")
PAGES = {
    "coach@example.com": [
        "pages/message_scheduler.py",
        "pages/schedules.py",
        "pages/clients.py",
        "pages/delivery_log.py",
        "pages/inbox.py",
    ],
    "support@example.com": ["pages/schedules.py", "pages/delivery_log.py", "pages/qstash.py", "pages/inbox.py"],
    "admin@example.com": ["pages/accounts.py"],
}


def seed_daily_occurrence(services) -> str:
    """One occurrence of Casey's daily check-in (a local wall-clock slot): one client got it, one failed."""
    casey = account(services, "coach@example.com")
    rows, _ = services.store.messages.list(casey.as_actor(), search="check-in")
    mid, slot = rows[0]["id"], "2026-12-01T09:00"
    clients = services.store.clients.list(casey.as_actor(), limit=2)
    d = services.store.deliveries
    run = d.start_run(mid, casey.id, "qm-daily", 0, slot, casey.timezone)
    d.ensure_rows(mid, casey.id, slot, [c.id for c in clients], {})
    claimed = {client: delivery for delivery, client in d.claim(mid, slot, "test", 0, run, timedelta(minutes=1))}
    d.mark_sent(claimed[clients[0].id], "chat-1")
    d.mark_failed(claimed[clients[1].id], "Stream answered 400", permanent=True)
    d.finish_run(run, "partial", d.slot_counts(mid, slot))
    services.store.inbox.deliver("m-1", "dm-1", casey.chat_user_id, clients[0].chat_user_id, "Hi there")
    return slot


def page_texts(at) -> list[str]:
    """Everything the main area shows as text: markdown elements, metrics, tables, and widget labels/options."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "success", "error", "warning", "info", "text")
    texts = [as_read(str(e.value)) for kind in kinds for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in [d.value for d in at.dataframe] + [t.value for t in at.table]:
        if isinstance(frame, pd.DataFrame):
            texts.append(frame.to_csv(index=False))
    for kind in ("selectbox", "multiselect", "radio"):
        texts += [f"{w.label} {w.options}" for w in getattr(at, kind)]
    return texts


@pytest.mark.parametrize(("email", "page"), [(e, p) for e, pages in PAGES.items() for p in pages])
def test_every_page_states_the_zone_and_shows_no_iso_times(as_user, seeded, email, page):
    """Each person opens each of their pages after a daily occurrence partly failed: the page names their zone,
    and no ISO instant (2026-12-01T14:00+00:00) or raw slot (2026-12-01T09:00) is anywhere on it."""
    seed_daily_occurrence(seeded)
    at = as_user(email).switch_page(page).run()
    if page == "pages/schedules.py":  # with a schedule open: details, QStash links, audit trail
        at = select_row(at, "list_table", "Title", "Daily check-in")
    assert not at.exception, at.exception
    texts = page_texts(at)
    found = [m.group(0) for text in texts for m in ISO.finditer(text)]
    assert not found, found
    zone = account(seeded, email).timezone
    assert any(zone in text for text in texts), f"{zone} is not stated on {page}"


def test_delivery_log_shows_slots_as_local_times_in_the_viewers_zone(as_user, seeded):
    """Casey's 09:00 (New York) check-in slot reads "2026-12-01 09:00 EST" for Casey and "2026-12-01 14:00 UTC"
    for support, in the table, the runs and the retry list; the chart's days are named after the viewer's zone."""
    seed_daily_occurrence(seeded)
    expected = (("coach@example.com", "2026-12-01 09:00 EST"), ("support@example.com", "2026-12-01 14:00 UTC"))
    for email, shown in expected:
        at = as_user(email).switch_page("pages/delivery_log.py").run()
        assert set(at.dataframe[0].value["Slot"]) == {shown}
        assert list(at.dataframe[1].value["Slot"]) == [shown]
        assert all(shown in option for option in at.multiselect(key="log_retry_ids").options)
        chart = (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))[0]
        zone = account(seeded, email).timezone
        assert f"Day ({zone})" in str(chart.proto.spec)
