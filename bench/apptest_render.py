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
    return render_times(services, account, page, rounds)[1]


def render_times(services, account, page: str, rounds: int, forget=None) -> tuple[float | None, float]:
    """Median seconds of a render right after `forget()` dropped what the services keep across renders (None
    without it), and of a render after a warm-up run, `rounds` renders each. (The warm-up itself is no first
    visit: a new AppTest scans every installed package for components, ~0.2 s a real server spends once.)"""
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
    if forget is None:
        return None, statistics.median(times)
    colds = []
    for _ in range(rounds):
        forget()
        started = time.perf_counter()
        at.run()
        colds.append(time.perf_counter() - started)
    assert not at.exception, at.exception
    return statistics.median(colds), statistics.median(times)
