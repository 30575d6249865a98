from tests.ui.conftest import *
def test_x(as_user):
    at = as_user()
    at.run()
    print("H2", [m.value for m in at.sidebar.markdown], at.title[0].value, at.exception, at.toast if hasattr(at,'toast') else '')
    at.switch_page("pages/schedules.py").run()
    print("H3", [m.value for m in at.sidebar.markdown], at.title[0].value, at.exception)
    at.run()
    print("H4", [m.value for m in at.sidebar.markdown], at.title[0].value, at.exception)
