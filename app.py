"""Entry point: page config, login gate, the role's navigation, the shared sidebar, then the page."""

import streamlit as st

from services.config import ConfigError
from ui import alert_banner, runtime, shell

st.set_page_config(page_title="Coach Message Scheduler", page_icon=":material/schedule_send:", layout="wide")

try:
    services = runtime.services()
except ConfigError as exc:  # a half-configured production setting: name the variable, show nothing secret
    st.error(f"Configuration error: {exc}")
    st.stop()

account = runtime.account()
if account is None:
    # Every page's URL is registered but the login form runs instead, so a deep link signs in to that page.
    st.navigation(shell.every_page(services), position="hidden")
    runtime.sync_cookie()
    shell.login_page()
else:
    page = st.navigation(shell.pages_for(account, services))
    runtime.sync_cookie()
    shell.sidebar(account, services)
    alert_banner.alert_banner(account, services)
    page.run()
