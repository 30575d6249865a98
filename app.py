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
    page = st.navigation([st.Page(shell.login_page, title="Log in", icon=":material/login:")], position="hidden")
else:
    page = st.navigation(shell.pages_for(account, services))
    shell.sidebar(account, services)
    alert_banner.alert_banner(account, services)
page.run()
