"""Message Scheduler: compose, target and time a message, preview it, and schedule it with QStash."""

import uuid

import streamlit as st

from services import preview
from services.errors import SchedulerUnavailable, UserError
from ui import big_send_box, compose_form, fmt, runtime, send_rules_box, test_send_box

account = runtime.require_account()
schedules = runtime.services().schedules
st.title("Message Scheduler")
fmt.show_flash("sched_notice")  # e.g. "A copy of …" after Duplicate on the Schedules page
if account.role != "coach":
    st.info("Only coaches schedule messages. Use the Schedules page to look after existing ones.")
    st.stop()

flash = st.session_state.pop("sched_flash", None)
if flash:  # the message just scheduled: a fresh form (new submission key, empty text) so nothing goes twice
    # Set, not popped: only a value set in session state is pushed to the browser, which would otherwise keep
    # showing the old text in a form that the server already holds empty.
    st.session_state.update(sched_title="", sched_body="", sched_confirm_frequent=False)
    st.session_state.pop("sched_submission", None)
# One key per form instance: the service turns a repeated submit of it into the message already made.
submission = st.session_state.setdefault("sched_submission", uuid.uuid4().hex)

form_column, preview_column = st.columns([3, 2], gap="large")
with form_column:
    request = compose_form.form(schedules, account)
    request.idempotency_key = submission
    label = "Send now" if request.send_now else "Schedule Message"
    clicked = st.button(label, key="sched_submit", type="primary", icon=":material/send:")
    confirmed = big_send_box.show(schedules, account, request)
    result = st.container()
    if flash:
        result.success(flash)
with preview_column:
    with st.container(border=True):
        compose_form.preview_panel(schedules, account, request)
    with st.container(border=True):
        test_send_box.show(runtime.services().test_sends, account, request)
    send_rules_box.show(runtime.services().send_rules, account)

if clicked or confirmed:
    request.confirm_big = confirmed  # the service asks before a big send; the coach answered Yes above
    with result:
        try:
            with st.spinner("Scheduling with QStash…"):
                message = schedules.create(account, request)
        except SchedulerUnavailable as exc:  # the row is stored in 'error' with this reason
            st.error(f"Saved but not scheduled: {fmt.literal(exc.message)} Fix and press Repair on the Schedules page.")
        except UserError as exc:
            if exc.field == "confirm_big":  # a big send: the question appears under the button
                big_send_box.ask(schedules.big_send_question(account, request) or exc.message)
            st.error(compose_form.error_text(exc))
        else:
            first = message.send_at if message.kind == "once" else message.next_run_at
            when = preview.first_send_text(first, account.timezone)
            after = ", then as the rule says" if message.recurring else ""
            local = (
                " (clients in other zones get it at that time in their own zone)"
                if message.zone_mode == "client"
                else ""
            )
            st.session_state["sched_flash"] = (
                f"Sending “{fmt.literal(message.title)}” now."
                if request.send_now
                else f"Scheduled “{fmt.literal(message.title)}”. It will send on {when}{after}{local}."
            )
            st.rerun()
