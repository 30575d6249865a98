"""Stories about importing clients from a CSV file on the Clients page."""

import time

import pytest

from services import client_import
from services.errors import UserError
from tests.ui.conftest import account

GOOD = (
    "name,email,zone,tags,external_chat_id\n"
    "Ada Lovelace,ada@example.com,Europe/London,vip;beginner,\n"
    "Grace Hopper,GRACE@example.com,America/New_York,advanced,grace-hopper-42\n"
)
BAD = GOOD + "Nobody,not-an-email,Mars/Olympus,,\n,x@example.com,UTC,,\nDup,,UTC,,grace-hopper-42\n"


def open_import(as_user, email="coach@example.com"):
    return as_user(email).switch_page("pages/clients.py").run()


def upload(at, text: str):
    [uploader] = [u for u in at.file_uploader if u.key.startswith("clients_import_file_")]
    uploader.set_value(("clients.csv", text.encode(), "text/csv"))
    return at.run()


def preview_rows(at):
    """The import preview table (the one with a Problem column)."""
    [rows] = [d.value for d in at.dataframe if "Problem" in d.value.columns]
    return rows


def names(services, email="coach@example.com"):
    return {c.name for c in services.clients.page(account(services, email).as_actor(), limit=500)[0]}


def test_coach_previews_and_imports_a_csv(as_user, seeded):
    """Casey downloads the sample, uploads her own file, sees both rows in the preview with no problems, and
    imports them: the flash says 2 clients, and Ada and Grace are her clients with their tags, email and chat id."""
    at = open_import(as_user)
    assert any(d.proto.label == "Sample CSV" for d in at.get("download_button"))
    at = upload(at, GOOD)
    rows = preview_rows(at)
    assert list(rows["Name"]) == ["Ada Lovelace", "Grace Hopper"]
    assert set(rows["Problem"]) == {""}
    at.button(key="clients_import_go").click().run()
    assert at.success[0].value == "Imported 2 clients."
    assert {"Ada Lovelace", "Grace Hopper"} <= names(seeded)
    casey = account(seeded, "coach@example.com").as_actor()
    [grace] = [c for c in seeded.clients.page(casey, search="Grace")[0]]
    assert (grace.email, grace.chat_user_id, grace.tags) == ("grace@example.com", "grace-hopper-42", ("advanced",))


def test_a_file_with_bad_rows_imports_nothing(as_user, seeded):
    """Casey's file has an unknown zone, a missing name and a chat id used twice: each row says what is wrong,
    listed first, the Import button stays disabled, and no client is added."""
    before = names(seeded)
    at = upload(open_import(as_user), BAD)
    rows = preview_rows(at)
    problems = dict(zip(rows["Line"], rows["Problem"], strict=True))
    assert "Mars/Olympus" in problems[4]
    assert problems[5] == "Client name is required."
    assert problems[6] == "The chat id is also on line 3."
    assert list(rows["Line"][:3]) == [4, 5, 6]
    assert any("3 of 5 rows have a problem" in e.value for e in at.error)
    written_out = [m.value for m in at.markdown if m.value.startswith("- Line ")]
    assert written_out == [f"- Line 4: {problems[4]}\n- Line 5: {problems[5]}\n- Line 6: {problems[6]}"]
    assert at.button(key="clients_import_go").disabled
    assert names(seeded) == before


def test_the_service_refuses_a_file_with_problems_even_if_asked(seeded):
    """All or nothing holds in the service too: a preview with a bad row writes no client."""
    casey = account(seeded, "coach@example.com").as_actor()
    preview = seeded.clients.read_import(BAD.encode())
    before = names(seeded)
    with pytest.raises(UserError, match="nothing was imported"):
        seeded.clients.run_import(casey, preview)
    assert names(seeded) == before


def test_five_thousand_rows_import_in_under_ten_seconds(seeded):
    """A 5,000-row file is read, checked and written in well under 10 s (a generous bound on a busy machine)."""
    casey = account(seeded, "coach@example.com").as_actor()
    lines = ["name,email,zone,tags,external_chat_id"]
    lines += [f"Client {n},c{n}@example.com,Europe/London,bulk;t{n % 7},ext-{n}" for n in range(5000)]
    started = time.perf_counter()
    preview = seeded.clients.read_import("\n".join(lines).encode())
    assert preview.ok, [r.problem for r in preview.rows if r.problem][:3]
    assert seeded.clients.run_import(casey, preview) == 5000
    assert time.perf_counter() - started < 10
    assert seeded.clients.page(casey, tag="bulk")[1] == 5000
    assert client_import.MAX_ROWS >= 5000
