"""Inbox: the local chat gateway's messages (embedded mode), per client, newest first."""

import streamlit as st

from ui import runtime
from ui.fmt import local

account = runtime.require_account()
services = runtime.services()
actor = account.as_actor()
st.title("Inbox")
st.caption("In the offline demo, delivered messages land here instead of Stream Chat.")

clients = {c.id: c.name for c in services.store.clients.list(actor, limit=500)}
left, right = st.columns([3, 1])
client_id = left.selectbox(
    "Client", list(clients), format_func=clients.get, index=None, key="inbox_client", placeholder="All clients"
)
right.button("Refresh", key="inbox_refresh", icon=":material/refresh:")

with st.spinner("Loading messages…"):
    messages = services.store.inbox.list(actor, client_id=client_id, limit=200)
if not messages:
    st.info("No messages yet. Scheduled messages appear here when they are delivered.")

by_client: dict[str, list[dict]] = {}
for message in messages:  # newest first, so clients are ordered by their latest message
    by_client.setdefault(message["client"], []).append(message)
for name, received in by_client.items():
    with st.container(border=True):
        st.markdown(f"**{name}** · {len(received)} message(s)")
        for message in received:
            with st.chat_message("assistant", avatar=":material/sports:"):
                st.caption(local(message["created_at"], account.timezone))
                st.text(message["text"])
