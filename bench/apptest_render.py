"""Page render times with Streamlit's AppTest, as the page benches measure them."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

from streamlit.runtime.scriptrunner_utils import script_run_context
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def quiet_streamlit() -> None:
    """AppTest runs scripts in bare mode, and Streamlit warns about that on every element."""
    # a filter, not a level: Streamlit sets its loggers' levels again from its config whenever AppTest parses it
    logging.getLogger(script_run_context.__name__).addFilter(lambda record: record.levelno >= logging.ERROR)


def render_seconds(services, account, page: str, rounds: int) -> float:
    """Median seconds of a render of `page` (e.g. "pages/schedules.py") as `account`, after one warm-up run."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["services"] = services
    at.session_state["account"] = account
    at.switch_page(page).run()
    assert not at.exception, at.exception
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    assert not at.exception, at.exception
    return statistics.median(times)
