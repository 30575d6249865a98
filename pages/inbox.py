"""Inbox: the local chat gateway's messages (embedded mode), newest first, by client; it updates by itself."""

import streamlit as st

from services.errors import UserError
from ui import fmt, runtime
from ui.fmt import literal, local

REFRESH_SECONDS = 5

account = runtime.require_account()
inbox = runtime.services().inbox
actor = account.as_actor()
st.title("Inbox")
if inbox is None:  # not in the navigation when chat goes to Stream; refuse if reached anyway
    st.info("Messages go to Stream Chat here: open them in Stream's dashboard.")
    st.stop()
st.caption(
    f"In the offline demo, delivered messages land here instead of Stream Chat. Updates every {REFRESH_SECONDS} s."
)
fmt.zone_note(account.timezone)

clients = {c.id: c.name for c in inbox.clients(actor)}
left, right = st.columns([3, 1], vertical_alignment="bottom")
client_id = left.selectbox(
    "Client", list(clients), format_func=clients.get, index=None, key="inbox_client", placeholder="All clients"
)
right.button("Refresh", key="inbox_refresh", icon=":material/refresh:")

if client_id:  # the demo's other side: write as the client; it is recorded as Stream's webhook would record it
    with st.form("inbox_reply_form", clear_on_submit=True, border=False):
        text = st.text_input(f"Reply as {clients[client_id]}", key="inbox_reply_text", placeholder="Done, thanks!")
        replied = st.form_submit_button("Reply as this client", icon=":material/reply:")
    if replied:
        try:
            outcome = inbox.reply_as(actor, client_id, text)
        except UserError as exc:
            st.error(literal(exc.message))
        else:
            if outcome.recorded:
                st.success("Posted, and counted as this client's reply to their latest check-in.")
            else:
                st.info(f"Posted; not counted as a reply ({outcome.reason}).")
else:
    st.caption("Choose a client to reply as them: their reply counts on the Schedules and Delivery Log pages.")


@st.fragment(run_every=REFRESH_SECONDS)
def conversation() -> None:
    """One page of messages, newest first; only this part reruns while the page stays open."""
    total = inbox.count(actor, client_id=client_id)
    limit, offset = fmt.pager("inbox", total)
    messages = inbox.messages(actor, client_id=client_id, limit=limit, offset=offset)
    if not messages:
        st.info("No messages yet. Scheduled messages appear here when they are delivered.")
    own = inbox.own_chat(account)
    if own:
        with st.expander(f"Your own chat: the latest {len(own)} test(s) you sent yourself", icon=":material/science:"):
            for message in own:
                st.caption(f"Test · {local(message['created_at'], account.timezone)}")
                st.text(message["text"])
    by_client: dict[str, list[dict]] = {}
    for message in messages:  # newest first, so clients are ordered by their latest message
        by_client.setdefault(message["client"], []).append(message)
    for name, received in by_client.items():
        with st.container(border=True):
            st.markdown(f"**{literal(name)}** · {len(received)} message(s) on this page")
            for message in received:
                mine = message["from_client"]  # the client's own reply, or what the coach sent
                with st.chat_message("user" if mine else "assistant", avatar=None if mine else ":material/sports:"):
                    st.caption(local(message["created_at"], account.timezone))
                    st.text(message["text"])


conversation()
