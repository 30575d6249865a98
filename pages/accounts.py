"""Accounts (admin only): search, filter, page and export accounts; create one; change role, profile, password."""

import streamlit as st

from ui import account_forms, fmt, runtime

account = runtime.require_account()
accounts = runtime.services().accounts
actor = account.as_actor()
st.title("Accounts")
if actor.role != "admin":  # not in the navigation of other roles; refuse if reached anyway
    st.error("Only an admin can manage accounts.")
    st.stop()
fmt.show_flash("accounts_flash")

search_col, role_col, status_col = st.columns([2, 1, 1])
search = search_col.text_input("Search email or name", key="accounts_search")
role = role_col.selectbox("Role", accounts.roles, index=None, key="accounts_role", placeholder="All")
status = status_col.selectbox("Status", ["active", "inactive"], index=None, key="accounts_status", placeholder="All")


def fetch(limit: int, offset: int):
    """One page of accounts under the filters."""
    return accounts.page(
        actor,
        role=role,
        search=search or None,
        limit=limit,
        offset=offset,
        active=None if status is None else status == "active",
    )


total = fetch(1, 0)[1]
limit, offset = fmt.pager("accounts", total)
rows, total = fetch(limit, offset)
st.dataframe(account_forms.frame(rows), hide_index=True, key="accounts_table")
st.download_button(
    "Download CSV",
    fmt.csv_bytes(account_forms.frame(fmt.all_pages(fetch))),
    file_name="accounts.csv",
    mime="text/csv",
    key="accounts_csv",
    icon=":material/download:",
)

with st.expander("Create account", icon=":material/person_add:"):
    account_forms.add_form(accounts, account)

st.subheader("Edit an account")
names = {a.id: f"{a.email} · {a.display_name} · {a.role}" + ("" if a.active else " · inactive") for a in rows}
selected = st.selectbox(
    "Account",
    list(names),
    format_func=names.get,
    index=None,
    key="accounts_selected",
    placeholder="Choose an account on this page to edit",
)
if selected:
    account_forms.edit_form(accounts, account, selected)
