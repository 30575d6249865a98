"""A local stand-in for the Stream Chat REST API, for tests and benchmarks.

Usage: ``with StreamStandIn(api_key, api_secret) as standin: StreamChat(..., base_url=standin.url)``.
"""

from tests.stream_standin.standin import StreamStandIn

__all__ = ["StreamStandIn"]
