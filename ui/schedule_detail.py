"""One message on the Schedules page: body, recipients, audit trail, and the actions on it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.domain import Account, Message
from services.errors import UserError
from services.schedule_summary import rule_text
from services.schedules import ScheduleService
from ui import edit_form, fmt, nudge_panel, reply_panel, runtime, schedule_actions
from ui.fmt import local


def show(schedules: ScheduleService, account: Account, message_id: str) -> None:
    """Details and actions of one message the account may see."""
    actor = account.as_actor()
    try:
        message = schedules.get(actor, message_id)
    except UserError as exc:
        st.error(fmt.literal(exc.message))
        return
    with st.container(border=True):
        st.subheader(fmt.literal(message.title))
        st.caption(f"{rule_text(vars(message))} · status **{message.status}** · version {message.version}")
        if message.last_error:
            st.error(f"Last error: {fmt.literal(message.last_error)}")
        elif message.status == "scheduled" and schedule_actions.repair_reason(schedules, account, message):
            st.warning(f"QStash disagrees: {fmt.literal(schedule_actions.repair_reason(schedules, account, message))}")
        st.text(message.body)
        st.markdown(f"**Recipients:** {fmt.literal(schedules.recipients(actor, message))}")
        links = schedules.links(message.id)
        st.caption(
            f"Message id `{message.id}`"
            + ("" if not links else " · QStash: " + ", ".join(f"{zone} → `{qid}`" for zone, qid in links.items()))
        )
        services = runtime.services()
        reply_panel.show(services.reply_stats, actor, message.id, "list_replies", account.timezone)
        nudge_panel.show(services.nudges, account, message)
        schedule_actions.show(schedules, account, message)
        if message.status not in ("cancelled", "completed"):
            with st.expander("Edit", icon=":material/edit:"):
                edit_form.show(schedules, account, message)
        st.markdown("**Audit trail**")
        st.dataframe(_audit(schedules, account, message), hide_index=True, key="list_audit")


def _audit(schedules: ScheduleService, account: Account, message: Message) -> pd.DataFrame:
    """Who did what to the message, newest first, in words."""
    events = schedules.audit_trail(account.as_actor(), message.id, account.timezone)
    return pd.DataFrame(
        [
            {"When": local(e["at"], account.timezone), "Action": e["action"], "By": e["by"], "Changes": e["changes"]}
            for e in events
        ],
        columns=["When", "Action", "By", "Changes"],
    )
