"""Credentials kept out of logs: the forwarded Authorization is shown as "Bearer [redacted]"."""

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})
MARKER = "[redacted]"


def value(text: str) -> str:
    """Keep the scheme ("Bearer"), drop the credential."""
    scheme, _, credential = text.strip().partition(" ")
    return f"{scheme} {MARKER}" if credential else MARKER


def headers(header: dict[str, list[str]]) -> dict[str, list[str]]:
    """A copy of a QStash header map with every credential replaced by the marker."""
    return {
        name: [value(v) for v in values] if name.lower() in SECRET_HEADERS else values
        for name, values in header.items()
    }
