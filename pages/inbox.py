"""Inbox: the local chat gateway's messages (embedded mode), per client, newest first."""

import streamlit as st

from ui import runtime
from ui.fmt import literal, local

account = runtime.require_account()
inbox = runtime.services().inbox
actor = account.as_actor()
st.title("Inbox")
if inbox is None:  # not in the navigation when chat goes to Stream; refuse if reached anyway
    st.info("Messages go to Stream Chat here: open them in Stream's dashboard.")
    st.stop()
st.caption("In the offline demo, delivered messages land here instead of Stream Chat.")

clients = {c.id: c.name for c in inbox.clients(actor)}
left, right = st.columns([3, 1])
client_id = left.selectbox(
    "Client", list(clients), format_func=clients.get, index=None, key="inbox_client", placeholder="All clients"
)
right.button("Refresh", key="inbox_refresh", icon=":material/refresh:")

with st.spinner("Loading messages…"):
    messages = inbox.messages(actor, client_id=client_id)
if not messages:
    st.info("No messages yet. Scheduled messages appear here when they are delivered.")

by_client: dict[str, list[dict]] = {}
for message in messages:  # newest first, so clients are ordered by their latest message
    by_client.setdefault(message["client"], []).append(message)
for name, received in by_client.items():
    with st.container(border=True):
        st.markdown(f"**{literal(name)}** · {len(received)} message(s)")
        for message in received:
            with st.chat_message("assistant", avatar=":material/sports:"):
                st.caption(local(message["created_at"], account.timezone))
                st.text(message["text"])
