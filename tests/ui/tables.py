"""Selecting a row of an st.dataframe in AppTest, the way a click in the browser does."""


def table(at, key_prefix: str):
    """The dataframe whose key starts with key_prefix (selectable tables key themselves by their rows)."""
    [found] = [d for d in at.dataframe if (d.key or "").startswith(key_prefix)]
    return found


def select_row(at, key_prefix: str, column: str, value):
    """Select the row whose `column` holds `value`, then rerun."""
    found = table(at, key_prefix)
    position = list(found.value[column]).index(value)
    at.session_state[found.key] = {"selection": {"rows": [position], "columns": []}}
    return at.run()


def with_column(at, column: str):
    """The one table (as a DataFrame) showing `column`: read-only tables carry no key in AppTest."""
    [found] = [d.value for d in at.dataframe if column in d.value.columns]
    return found
