"""docs/OPERATIONS.md stays true: every setting in its table, the production Procfile, the troubleshooting."""

from pathlib import Path

import pytest

from services import settings_table
from services.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "OPERATIONS.md").read_text()


def test_every_setting_is_in_the_table_with_its_default_and_secrecy():
    """Fails naming the exact rows to add or replace (`python -m services.settings_table --write` adds them)."""
    report = settings_table.problems(DOC)
    assert not report, "\n".join(report)
    assert "TODO" not in DOC, "say what each setting does in docs/OPERATIONS.md"


def test_a_new_setting_is_reported_with_the_row_to_paste(monkeypatch):
    """A setting added to Settings (as other branches do) makes the check print its exact row."""

    class Grown(Settings):
        example_new_format: str = "text"
        example_new_url: str | None = None

    monkeypatch.setattr(settings_table, "Settings", Grown)
    assert settings_table.problems(DOC) == [
        "Add these rows to the settings table in OPERATIONS.md (and say what each does):",
        "| `EXAMPLE_NEW_FORMAT` | `text` | TODO: say what it does | no |",
        "| `EXAMPLE_NEW_URL` | unset | TODO: say what it does | no |",
    ]
    assert "| `EXAMPLE_NEW_FORMAT` | `text` | TODO: say what it does | no |" in settings_table.table(DOC)


def test_a_changed_default_or_a_removed_setting_is_reported():
    """A row whose default no longer matches is given back corrected; a row for no setting is named."""
    edited = DOC.replace("| `FANOUT_CONCURRENCY` | `16` |", "| `FANOUT_CONCURRENCY` | `8` |")
    edited = edited.replace(settings_table.END, "| `GONE_SETTING` | `1` | old | no |\n" + settings_table.END)
    report = settings_table.problems(edited)
    assert report[0] == "Replace these rows (default or secret differ from services/config.py):"
    assert report[1].startswith("| `FANOUT_CONCURRENCY` | `16` | Sends in flight at once")
    assert report[2].endswith("`GONE_SETTING`")


@pytest.mark.parametrize("name", list(settings_table.EXTRA))
def test_settings_read_outside_settings_are_still_read_where_the_table_says(name):
    """WEB_CONCURRENCY, DASHBOARD_PORT and PORT: each still appears in the file that reads it."""
    source, _ = settings_table.EXTRA[name]
    assert name in (ROOT / source).read_text(), f"{name} is no longer read in {source}: update EXTRA and the table"


def test_the_production_procfile_serves_the_webhook_exactly_as_make_run_does():
    """deploy/Procfile's web line is the root Procfile's webhook command on the platform's $PORT, and it
    migrates in the release phase."""
    dev = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    prod = dict(line.split(": ", 1) for line in (ROOT / "deploy" / "Procfile").read_text().splitlines() if line)
    assert prod["web"] == "WEBHOOK_HOST=0.0.0.0 WEBHOOK_PORT=$PORT " + dev["webhook"].replace(".venv/bin/", "")
    assert prod["release"] == "python -m services migrate"
    assert prod["web"] in DOC


GUIDE_PROBLEMS = [  # the headings of the testing guide's step 5
    'Status "completed" but no message in chat',
    '"QSTASH_TOKEN is not set" or "invalid token"',
    '"Invalid channel id, can\'t contain the : character"',
    '"Can\'t find channel with id messaging:messaging_…"',
    "Messages not being scheduled",
    "Messages not being delivered",
    "QStash webhook failures",
]
# What the troubleshooting quotes the product as saying, each of which must still be in the code.
QUOTED = {
    "QStash could not be reached. Check QSTASH_URL and that the scheduler is running.": "services/qstash",
    "QStash refused our token. Check QSTASH_TOKEN.": "services/qstash",
    "is set but ": "services/config.py",
    "DATABASE_URL goes through a transaction pooler; set": "services/db/engine.py",
    "Stream Chat error (HTTP ": "services/chat/stream_gateway.py",
    "client is inactive": "services/delivery.py",
    "coach account is inactive": "services/delivery.py",
    '"unauthorized"': "services/webhook/gate.py",
    "Upstash-NonRetryable-Error": "services/delivery.py",
    "Configuration error: ": "app.py",
    "transaction pooler: no prepared statements": "services/__main__.py",
    '"dm-"': "services/chat/channel_ids.py",
    "No such message for this coach.": "services",
    "Retried failed deliveries": "services/audit_text.py",
}


def test_the_troubleshooting_answers_each_problem_of_the_guide():
    """Every step-5 problem has its own entry."""
    troubleshooting = DOC.split("## Troubleshooting", 1)[1]
    for problem in GUIDE_PROBLEMS:
        assert f"**{problem}.**" in troubleshooting, problem


@pytest.mark.parametrize(("quote", "where"), list(QUOTED.items()))
def test_what_the_doc_says_the_product_shows_is_what_the_code_says(quote, where):
    """Each message the page quotes is in the doc and in the code it names."""
    assert quote.strip('"') in DOC
    path = ROOT / where
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    assert any(quote in f.read_text() for f in files), f"{quote!r} not found under {where}"
