"""Health (support/admin): backends, live checks with latency, the webhook as QStash sees it, the last day, alerts."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services.alert_conditions import TITLES
from services.errors import UserError
from ui import fmt, runtime, shell

account = runtime.require_support()
services = runtime.services()
health = services.health
actor = account.as_actor()
st.title("Health")
fmt.show_flash("health_flash")
zone = account.timezone
st.button("Refresh", key="health_refresh", icon=":material/refresh:")

st.subheader("Backends")
backends = pd.DataFrame(shell.backends(services), columns=["Part", "Backend"])
st.dataframe(backends, hide_index=True, key="health_backends")

st.subheader("Live checks")
for column, probe in zip(st.columns(3), health.probes(actor), strict=True):
    latency = f"{probe.latency_ms:.0f} ms" if probe.latency_ms is not None else "no answer"
    column.metric(probe.name, "OK" if probe.ok else "Failing", latency, delta_color="off")
    if not probe.ok:
        column.caption(fmt.literal(probe.detail))

st.subheader("Webhook")
st.markdown(f"QStash delivers firings to `{health.webhook_url(actor)}`.")
try:
    last = health.last_delivery(actor)
except UserError as exc:
    st.warning(fmt.literal(exc.message))
else:
    if last is None:
        st.caption("QStash has not delivered to it yet.")
    else:
        when = fmt.local(datetime.fromtimestamp(last.at_ms / 1000, UTC), zone) if last.at_ms else ""
        said = f"Last delivery: {last.state} at {when}" + (f" — {fmt.literal(last.error)}" if last.error else "")
        (st.success if last.state == "DELIVERED" else st.error)(said)

st.subheader("Last 24 hours")
try:
    day = health.last_day(actor)
except UserError as exc:
    st.warning(fmt.literal(exc.message))
else:
    sent, failed, rate, late = st.columns(4)
    sent.metric("Sent", day.sent)
    failed.metric("Failed", day.failed)
    rate.metric("Failure rate", "–" if day.failure_rate is None else f"{day.failure_rate:.1%}")
    late.metric("Lateness p95", "–" if day.lateness_p95_s is None else f"{day.lateness_p95_s:.0f} s")

st.subheader("Open alerts")
alerts = services.alerts.open_alerts(actor)
if not alerts:
    st.caption("No open alerts.")
for alert in alerts:
    st.markdown(
        f"**{TITLES.get(alert.condition, alert.condition)}** since {fmt.local(alert.opened_at, zone)}  \n"
        f"{fmt.literal(alert.detail)}"
    )
target = "the alert webhook" if services.alerts.notifier.configured else "this dashboard only (ALERT_WEBHOOK_URL unset)"
st.caption(f"Checked every minute by a QStash schedule; alerts go to {target}.")
if st.button("Check now", key="health_check_now", icon=":material/notifications_active:"):
    holding = [TITLES[r.condition] for r in services.alerts.check() if r.holds]
    st.session_state["health_flash"] = ("success", "Checked: " + (", ".join(holding) or "nothing is wrong") + ".")
    st.rerun()
