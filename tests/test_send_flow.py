"""The flow control chunk deliveries carry: derived from the chat limit so no minute can pass it."""

import pytest

from services.bootstrap import build_services
from services.config import load_settings
from services.delivery import Chunking
from services.send_flow import flow_key, plan_send_flow


@pytest.mark.parametrize("limit", [60, 100, 250, 600, 999, 1000, 1200, 5000, 10000])
@pytest.mark.parametrize("max_chunk", [50, 500, 1000])
def test_no_60_second_span_can_pass_the_limit(limit, max_chunk):
    """Starts are a period apart, so any 60 s holds 60 / period chunks, plus one whose sends straddle its edge:
    never more sends than the limit."""
    flow = plan_send_flow(limit, max_chunk, "app")
    assert 60 % flow.period == 0
    assert 1 <= flow.chunk_size <= max_chunk
    assert (60 // flow.period + 1) * flow.rate * flow.chunk_size <= limit
    assert flow.sends_per_minute <= limit


@pytest.mark.parametrize(("limit", "period", "chunk", "per_minute"), [(1000, 2, 32, 960), (600, 2, 19, 570)])
def test_stream_limits_use_at_least_95_percent(limit, period, chunk, per_minute):
    """At Stream's 1,000/min: a chunk of 32 every 2 s (960/min); at 600/min: 19 every 2 s (570/min)."""
    flow = plan_send_flow(limit, 500, "app")
    assert (flow.period, flow.chunk_size, flow.sends_per_minute) == (period, chunk, per_minute)
    assert flow.sends_per_minute >= 0.95 * limit
    assert (flow.rate, flow.parallelism) == (1, 2)


def test_no_limit_means_no_flow_control():
    """The local inbox (0) or a limit below one send a minute: nothing to pace."""
    assert plan_send_flow(0, 500, "app") is None


def test_the_key_is_per_chat_app_and_hides_its_key():
    """Deployments on the same Stream app share a key; the API key itself never appears."""
    assert flow_key("abc123") == flow_key("abc123") != flow_key("other")
    assert "abc123" not in flow_key("abc123")


def test_with_flow_control_anything_above_one_chunk_goes_through_qstash():
    """Inline sends would bypass the shared limit: only an audience within one chunk stays inline."""
    flow = plan_send_flow(1000, 500, "app")
    chunking = Chunking(object(), inline_max=1000, size=500, flow=flow)
    assert (chunking.chunk_size, chunking.applies(32), chunking.applies(33)) == (32, False, True)
    assert Chunking(object(), inline_max=1000, size=500).applies(999) is False


def test_bootstrap_uses_flow_control_for_stream_only(tmp_path):
    """The local inbox has no limit: no flow control; Stream's limit gives one key for the app."""
    local = build_services(load_settings(data_dir=tmp_path / "a"))
    assert local.delivery.chunking.flow is None
    stream = build_services(
        load_settings(data_dir=tmp_path / "b", stream_api_key="key-1", stream_api_secret="s", chat_sends_per_minute=600)
    )
    flow = stream.delivery.chunking.flow
    assert (flow.key, flow.sends_per_minute) == (flow_key("key-1"), 570)
