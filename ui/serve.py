"""Start the dashboard (`python -m ui.serve [streamlit options]`): `streamlit run app.py` without legacy pages/ mode.

Streamlit treats an app with a `pages/` folder as a v1 multipage app until the first `st.navigation` call, so the
first page load after a start runs a v1 shim that knows only the file names: a deep link such as /schedule-list
then shows "Page not found" although app.py's navigation has that page. This app always routes with
`st.navigation`, so the flag is set before the server starts.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    """Run Streamlit's own command line on app.py with the given options."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", "app.py", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
