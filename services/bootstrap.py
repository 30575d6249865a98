"""The one composition root: builds store, scheduler client, chat gateway and clock, each overridable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qstash import Receiver

from services import config as config_module
from services import local_secrets
from services.auth import LocalAuth, SupabaseAuth
from services.chat.local_inbox import LocalInboxGateway
from services.chat.port import ChatGateway
from services.db.engine import database_url_for, make_engine
from services.db.engine import migrate as run_migrations
from services.delivery import DeliveryService
from services.domain import Actor
from services.errors import UserError
from services.pacing import Pacer
from services.schedules import ScheduleService
from services.scheduling import WEBHOOK_PATH, QStashScheduler, make_qstash_client
from services.store import Store
from services.store.base import Clock, utc_now
from services.support import SupportService
from services.webhook.verify import WebhookAuth


@dataclass
class Services:
    """Everything the pages and the webhook use, wired once."""

    settings: config_module.Settings
    store: Store
    scheduler: QStashScheduler
    chat: ChatGateway
    clock: Clock
    schedules: ScheduleService
    delivery: DeliveryService
    auth: Any
    webhook_auth: WebhookAuth
    qstash_base_url: str | None
    support: SupportService

    def register_stored(self, payload: dict) -> dict[str, str]:
        """The guide's /api/qstash-schedule: register a stored message of that coach with QStash."""
        message_id, coach_id = payload.get("messageId"), payload.get("coachId")
        if not isinstance(message_id, str) or not isinstance(coach_id, str):
            raise UserError("messageId and coachId are required.")
        message = self.store.messages.get_unscoped(message_id)
        if message is None or message.coach_id != coach_id:
            raise UserError("No such message for this coach.")
        kind = payload.get("scheduleType")
        if kind and (kind == "once") != (message.kind == "once"):
            raise UserError(f"scheduleType '{kind}' does not match the stored message ({message.kind}).")
        self.schedules.repair(Actor(coach_id, "coach"), message_id)
        return self.store.messages.qstash_links(message_id)


def resolved_secrets(settings: config_module.Settings) -> dict[str, str]:
    """Secrets from settings, with generated ones under data/ filling what embedded mode leaves unset."""
    given = {name: getattr(settings, name) for name in local_secrets.SECRET_NAMES}
    values = {k: v.get_secret_value() for k, v in given.items() if v is not None}
    if len(values) < len(given):
        generated = local_secrets.load_or_create(settings.data_dir)
        values = {**generated, **values}
    return values


def build_services(
    settings: config_module.Settings | None = None,
    *,
    engine=None,
    clock: Clock | None = None,
    chat: ChatGateway | None = None,
    qstash_client=None,
    migrate: bool = True,
) -> Services:
    """Wire the product; every argument replaces one default (tests pass their own)."""
    settings = settings or config_module.load_settings()
    clock = clock or utc_now
    if engine is None:
        url = database_url_for(settings.database_url, settings.data_dir)
        # Embedded SQLite migrates itself; a production database is migrated on purpose
        # (`python -m services migrate`), never by several web workers racing at start-up.
        if migrate and settings.embedded_database:
            run_migrations(url)
        engine = make_engine(url)
    store = Store(engine, clock)
    secrets = resolved_secrets(settings)
    qstash_base_url = settings.qstash_url or (
        f"http://127.0.0.1:{settings.local_qstash_port}" if settings.embedded_qstash else None
    )
    client = qstash_client or make_qstash_client(secrets["qstash_token"], qstash_base_url)
    public_url = (settings.public_app_url or f"http://{settings.webhook_host}:{settings.webhook_port}").rstrip("/")
    scheduler = QStashScheduler(client, public_url + WEBHOOK_PATH, secrets["scheduler_api_key"])
    chat = chat or _default_chat(settings, store)
    schedules = ScheduleService(store, scheduler, clock)
    # The provider's send limit applies to Stream; the local inbox has none.
    pace = 0 if isinstance(chat, LocalInboxGateway) else settings.chat_sends_per_minute
    delivery = DeliveryService(
        store,
        chat,
        Pacer(pace),
        clock,
        on_finished=lambda m: _delete_schedules(store, scheduler, m),
        concurrency=settings.fanout_concurrency,
        lease_seconds=settings.claim_lease_seconds,
    )
    mode = settings.webhook_auth or ("either" if settings.embedded_qstash else "signature")
    webhook_auth = WebhookAuth(
        mode,
        Receiver(secrets["qstash_current_signing_key"], secrets["qstash_next_signing_key"]),
        public_url + WEBHOOK_PATH,
        secrets["scheduler_api_key"],
    )
    auth = (
        SupabaseAuth(store.accounts, settings.supabase_url, settings.supabase_anon_key.get_secret_value())
        if settings.supabase_auth
        else LocalAuth(store.accounts)
    )
    return Services(
        settings,
        store,
        scheduler,
        chat,
        clock,
        schedules,
        delivery,
        auth,
        webhook_auth,
        qstash_base_url,
        SupportService(store, scheduler, schedules),
    )


def _default_chat(settings: config_module.Settings, store: Store) -> ChatGateway:
    """Stream Chat when configured, else the local inbox."""
    if settings.embedded_chat:
        return LocalInboxGateway(store.inbox)
    from services.chat.stream_gateway import StreamChatGateway

    return StreamChatGateway(
        settings.stream_api_key, settings.stream_api_secret.get_secret_value(), base_url=settings.stream_chat_url
    )


def _delete_schedules(store: Store, scheduler: QStashScheduler, message) -> None:
    """An ended recurring message no longer needs its QStash schedules."""
    for schedule_id in store.messages.qstash_links(message.id).values():
        scheduler.delete_schedule(schedule_id)
