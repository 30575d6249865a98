"""The composition root picks each backend from the settings and lets tests replace any part."""

from services.auth import LocalAuth
from services.bootstrap import build_services
from services.chat.local_inbox import LocalInboxGateway
from services.chat.stream_gateway import StreamChatGateway
from services.config import load_settings
from services.supabase_auth import SupabaseAuth

PRODUCTION = {
    "qstash_token": "tok",
    "qstash_current_signing_key": "cur",
    "qstash_next_signing_key": "nxt",
    "public_app_url": "https://hooks.example.com/",
    "scheduler_api_key": "key",
    "stream_api_key": "sk",
    "stream_api_secret": "ss",
    "supabase_url": "https://x.supabase.co",
    "supabase_anon_key": "anon",
}


def test_embedded_defaults(tmp_path):
    """Nothing configured: local inbox, local accounts, the local QStash URL, bearer or signature accepted."""
    services = build_services(load_settings(data_dir=tmp_path))
    assert isinstance(services.chat, LocalInboxGateway)
    assert isinstance(services.auth.backend, LocalAuth)
    assert services.qstash_base_url == "http://127.0.0.1:8080"
    assert services.webhook_auth.mode == "either"
    assert services.webhook_auth.expected_url == "http://127.0.0.1:8000/api/process-scheduled-messages"


def test_production_settings_choose_the_real_backends(tmp_path):
    """Hosted QStash (SDK default URL), Stream, Supabase Auth, and signatures required on the public URL."""
    services = build_services(load_settings(data_dir=tmp_path, **PRODUCTION))
    assert isinstance(services.chat, StreamChatGateway)
    assert isinstance(services.auth.backend, SupabaseAuth)
    assert services.qstash_base_url is None
    assert services.webhook_auth.mode == "signature"
    assert services.webhook_auth.expected_url == "https://hooks.example.com/api/process-scheduled-messages"
    assert services.scheduler.webhook_url == services.webhook_auth.expected_url
    assert not (tmp_path / "secrets.json").exists()  # nothing generated when production secrets are given
