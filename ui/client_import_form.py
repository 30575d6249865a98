"""The Clients page's CSV import: a sample to download, a preview with each row's problem, then all or nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.client_admin import ClientService
from services.client_import import COLUMNS, SAMPLE_ROWS, ImportPreview
from services.domain import Account
from services.errors import SchedulerUnavailable, UserError
from ui import fmt

PREVIEW_KEY = "clients_import_preview"
ROUND_KEY = "clients_import_round"  # a new uploader after each import, so the imported file is not offered again

PROBLEMS_LISTED = 20  # problems written out in full under the preview


def rows_frame(preview: ImportPreview) -> pd.DataFrame:
    """The rows as read, those with a problem first."""
    records = [
        {
            "Line": r.line,
            "Problem": r.problem,
            "Name": r.name,
            "Email": r.email or "",
            "Zone": r.timezone,
            "Tags": ", ".join(r.tags),
            "Chat id": r.chat_user_id or "",
        }
        for r in sorted(preview.rows, key=lambda r: (not r.problem, r.line))
    ]
    return pd.DataFrame(records, columns=["Line", "Problem", "Name", "Email", "Zone", "Tags", "Chat id"])


def _import(clients: ClientService, account: Account, preview: ImportPreview, coach_id: str | None) -> None:
    """Write the previewed rows (a callback: the page then shows the outcome and the new clients at once)."""
    try:
        added = clients.run_import(account.as_actor(), preview, coach_id)
    except SchedulerUnavailable as exc:  # the clients are in; a schedule could not follow their zones
        st.session_state["clients_flash"] = ("warning", f"Imported. {fmt.literal(exc.message)}")
    except UserError as exc:
        st.session_state["clients_flash"] = ("error", f"Nothing was imported: {fmt.literal(exc.message)}")
        return
    else:
        st.session_state["clients_flash"] = ("success", f"Imported {added:,} clients.")
    st.session_state.pop(PREVIEW_KEY, None)
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1


def show(clients: ClientService, account: Account, coach_names: dict[str, str] | None) -> None:
    """Sample, upload, preview, import."""
    sample = pd.DataFrame(SAMPLE_ROWS, columns=list(COLUMNS)).fillna("")
    st.caption(
        "Columns: name, email, zone (IANA, e.g. Europe/London), tags (separated by ;), external_chat_id "
        "(the client's existing chat user id; empty makes one). Only name and zone are required."
    )
    st.download_button(
        "Sample CSV", fmt.csv_bytes(sample), "clients-sample.csv", "text/csv", key="clients_import_sample"
    )
    coach_id = None
    if coach_names is not None:
        coach_id = st.selectbox(
            "Import for coach", list(coach_names), format_func=coach_names.get, index=None, key="clients_import_coach"
        )
    upload = st.file_uploader("CSV file", type=["csv"], key=f"clients_import_file_{st.session_state.get(ROUND_KEY, 0)}")
    if upload is None:
        return
    cached = st.session_state.get(PREVIEW_KEY)
    if cached is None or cached[0] != upload.file_id:  # read once per file, not on every rerun
        cached = (upload.file_id, clients.read_import(upload.getvalue()))
        st.session_state[PREVIEW_KEY] = cached
    preview = cached[1]
    if preview.problem:
        st.error(fmt.literal(preview.problem))
        return
    st.dataframe(
        rows_frame(preview),
        hide_index=True,
        key="clients_import_rows",
        column_config={
            "Line": st.column_config.NumberColumn(width="small"),
            "Problem": st.column_config.TextColumn(width="large"),
        },
    )
    if preview.errors:
        st.error(f"{preview.errors:,} of {len(preview.rows):,} rows have a problem (listed first). Fix them and upload "
                 "the file again: nothing is imported until every row is right.")  # fmt: skip
        # The table clips long text; each problem in full, so nobody has to widen a column to read it.
        problems = [r for r in sorted(preview.rows, key=lambda r: r.line) if r.problem][:PROBLEMS_LISTED]
        st.markdown("\n".join(f"- Line {r.line}: {fmt.literal(r.problem)}" for r in problems))
        if preview.errors > len(problems):
            st.caption(f"The first {len(problems)} of {preview.errors:,} problems; the table lists them all.")
    st.button(
        f"Import {len(preview.rows):,} clients",
        key="clients_import_go",
        type="primary",
        disabled=not preview.ok or (coach_names is not None and coach_id is None),
        on_click=_import,
        args=(clients, account, preview, coach_id),
    )
