"""Clients: search, filter, page and export the client list; add a client; edit or deactivate one."""

import streamlit as st

from ui import client_forms, client_import_form, fmt, runtime

account = runtime.require_account()
clients = runtime.services().clients
actor = account.as_actor()
st.title("Clients")
fmt.show_flash("clients_flash")

coach_names = clients.coach_names(actor)
search_col, tag_col, status_col, coach_col = st.columns([2, 1, 1, 2])
search = search_col.text_input("Search name", key="clients_search")
tag = tag_col.selectbox("Tag", clients.tags(actor), index=None, key="clients_tag", placeholder="All")
status = status_col.selectbox("Status", ["active", "inactive"], index=None, key="clients_status", placeholder="All")
coach_id = fmt.coach_filter(coach_col, coach_names, "clients_coach")


def fetch(limit: int, offset: int):
    """One page of clients under the filters."""
    return clients.page(
        actor,
        tag=tag,
        search=search or None,
        coach_id=coach_id,
        limit=limit,
        offset=offset,
        active=None if status is None else status == "active",
    )


total = fetch(1, 0)[1]
limit, offset = fmt.pager("clients", total)
rows, total = fetch(limit, offset)
st.dataframe(client_forms.frame(rows, coach_names), hide_index=True, key="clients_table")
st.download_button(
    "Download CSV",
    fmt.csv_bytes(client_forms.frame(fmt.all_pages(fetch), coach_names)),
    file_name="clients.csv",
    mime="text/csv",
    key="clients_csv",
    icon=":material/download:",
)

with st.expander("Add client", icon=":material/person_add:", expanded=total == 0):
    client_forms.add_form(clients, account, coach_names)
with st.expander("Import clients from CSV", icon=":material/upload_file:"):
    client_import_form.show(clients, account, coach_names)

st.subheader("Edit a client")
# The browser sends the chosen label back: a label holding the zone or the active state would change with the
# edit just saved, close the form and lose the next click (see Schedules), so it names the client only.
names = {c.id: f"{c.name} · {c.id[:8]}" for c in rows}
selected = st.selectbox(
    "Client",
    list(names),
    format_func=names.get,
    index=None,
    key="clients_selected",
    placeholder="Choose a client on this page to edit or deactivate",
)
if selected:
    client_forms.edit_form(clients, account, selected)
