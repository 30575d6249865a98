"""Hardening 15 and 16: user text is shown as text on every page, and CSV downloads are safe in spreadsheets."""

from __future__ import annotations

import re
from datetime import time

import pandas as pd
import pytest

from services.compose import ScheduleRequest
from tests.ui.conftest import account
from tests.ui.tables import select_row
from ui import fmt

# A name and a title an attacker (or a careless import) could produce: an external image, a link, HTML,
# LaTeX, Streamlit's colour directive and markdown emphasis.
HOSTILE = "![p](http://evil.example/x.png) [go](http://evil.example) <img src=x> $x^2$ :red[hi] **b**"
UNESCAPED = re.compile(r"(?<!\\)(!\[|\]\(|<img|:red\[|\$x)")


def _markdown_texts(at) -> list[str]:
    """The source of every element Streamlit renders as markdown, in the main area and the sidebar."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "success", "error", "warning", "info")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)] + [
        str(element.value) for kind in ("markdown", "caption") for element in getattr(at.sidebar, kind)
    ]


def test_16_hostile_names_and_titles_are_shown_literally(as_user, seeded):
    """A client named like markdown and a message titled like it appear as typed on the Schedules details, the
    Inbox and the sidebar: no markdown element carries an unescaped image, link, HTML or directive."""
    casey = account(seeded, "coach@example.com")
    client = seeded.clients.add(casey.as_actor(), HOSTILE, "America/New_York", [])
    seeded.store.inbox.deliver("m-hostile", "dm-x", casey.chat_user_id, client.chat_user_id, HOSTILE)
    message = seeded.schedules.create(
        casey,
        ScheduleRequest(body=HOSTILE, title=HOSTILE[:120], kind="daily", send_time=time(9), target="clients",
                        client_ids=[client.id]),
    )  # fmt: skip
    at = as_user("coach@example.com").switch_page("pages/schedules.py").run()
    select_row(at, "list_table_", "Message id", message.id)
    shown = _markdown_texts(at)
    assert any("evil" in text for text in shown)  # the title and recipients are on the page…
    assert [t for t in shown if UNESCAPED.search(t)] == []  # …and every occurrence is inert
    inbox = at.switch_page("pages/inbox.py").run()
    assert any("evil" in text for text in _markdown_texts(inbox))
    assert [t for t in _markdown_texts(inbox) if UNESCAPED.search(t)] == []
    assert HOSTILE in [t.value for t in inbox.text]  # the message itself is plain text, exactly as sent


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_15_csv_cells_that_start_a_formula_are_neutralised(start):
    """Every download goes through fmt.csv_bytes, which prefixes formula-like text cells with an apostrophe."""
    frame = pd.DataFrame([{"Name": f'{start}HYPERLINK("http://evil.example")', "Count": -3, "Note": "fine"}])
    text = fmt.csv_bytes(frame).decode()
    assert f"'{start}HYPERLINK" in text
    assert ",-3," in text  # numbers stay numbers
    assert ",fine" in text


def test_15_every_download_button_uses_the_safe_csv():
    """No page builds CSV bytes itself."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for page in sorted((root / "pages").glob("*.py")):
        source = page.read_text()
        for call in re.findall(r"st\.download_button\((.*?)\n\)", source, flags=re.S):
            assert "fmt.csv_bytes(" in call, page.name
