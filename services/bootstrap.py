"""The one composition root: builds store, scheduler client, chat gateway and clock, each overridable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from qstash import QStash
from sqlalchemy import Engine

from services import config as config_module
from services import local_secrets
from services.account_admin import AccountService
from services.alert_conditions import Conditions
from services.alert_notifier import SlackNotifier
from services.alerts import AlertService
from services.auth import Authenticator, LocalAuth
from services.chat.local_inbox import LocalInboxGateway
from services.chat.port import ChatGateway
from services.client_admin import ClientService
from services.db.engine import make_engine, resolve_database_url, uses_transaction_pooler
from services.db.engine import migrate as run_migrations
from services.delivery import Chunking, DeliveryService
from services.delivery_log import DeliveryLogService
from services.failure_callback import FailureCallbacks
from services.health import HealthService
from services.inbox import InboxService
from services.nudges import NudgeService
from services.observability.metrics import Metrics
from services.pacing import Pacer
from services.qstash.port import FAILURE_CALLBACK_PATH, WEBHOOK_PATH, Scheduler
from services.qstash.registrar import Registrar
from services.qstash.request_auth import WebhookAuth
from services.qstash.sdk_scheduler import QStashScheduler, make_qstash_client
from services.replies import ReplyService
from services.reply_stats import ReplyStatsService
from services.reports import ReportService
from services.schedules import ScheduleService
from services.send_calendar import CalendarService
from services.send_flow import plan_send_flow
from services.send_gate import SendGate
from services.send_rule_settings import SendRuleSettings
from services.sign_in import SignIn
from services.store import Store
from services.store.base import Clock, utc_now
from services.supabase_auth import SupabaseAuth
from services.support import SupportService
from services.test_send import TestSendService
from services.web_sessions import WebSessionService


@dataclass
class Services:
    """Everything the pages and the webhook use, wired once: one service object per page, plus the webhook's."""

    settings: config_module.Settings
    clock: Clock
    store: Store  # for the webhook and the command line; pages go through the services below
    scheduler: Scheduler
    chat: ChatGateway
    schedules: ScheduleService  # Message Scheduler and Schedules pages
    calendar: CalendarService  # the Schedules page's calendar of the next 14 days
    test_sends: TestSendService  # the Message Scheduler's "Send a test to me"
    delivery_log: DeliveryLogService  # Delivery Log page
    clients: ClientService  # Clients page
    accounts: AccountService  # Accounts page (and the first admin from the command line)
    support: SupportService  # QStash health page
    reports: ReportService  # Reports page (support and admin)
    inbox: InboxService | None  # Inbox page, only when chat goes to the local inbox
    auth: SignIn  # sign-in, throttled
    web_sessions: WebSessionService  # the dashboard's server-side sessions (ui.runtime)
    delivery: DeliveryService  # the webhook's fan-out
    webhook_auth: WebhookAuth  # the webhook's request verification
    replies: ReplyService  # clients' replies (Stream's message.new webhook and the local inbox)
    reply_stats: ReplyStatsService  # reply rates on the Schedules and Delivery Log pages
    nudges: NudgeService  # follow-ups to those who have not replied (the nudge route and the Schedules page)
    alerts: AlertService  # alert checks (the webhook's /api/alerts/check) and the dashboard's banner
    failure_callbacks: FailureCallbacks  # the webhook's QStash failure-callback route
    health: HealthService  # Health page
    send_rules: SendRuleSettings  # the coach's quiet hours and daily cap (Message Scheduler page)
    qstash_base_url: str | None
    metrics: Metrics  # the webhook's Prometheus metrics (GET /metrics)


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
    engine: Engine | None = None,
    clock: Clock | None = None,
    chat: ChatGateway | None = None,
    qstash_client: QStash | None = None,
    migrate: bool = True,
) -> Services:
    """Wire the product; every argument replaces one default (tests pass their own)."""
    settings = settings or config_module.load_settings()
    clock = clock or utc_now
    store = Store(engine or _default_engine(settings, migrate), clock)
    secrets = resolved_secrets(settings)
    qstash_base_url = settings.qstash_url or (
        f"http://127.0.0.1:{settings.local_qstash_port}" if settings.embedded_qstash else None
    )
    webhook_url = _public_url(settings) + WEBHOOK_PATH
    client = qstash_client or make_qstash_client(secrets["qstash_token"], qstash_base_url)
    failure_url = _public_url(settings) + FAILURE_CALLBACK_PATH
    scheduler = QStashScheduler(client, webhook_url, secrets["scheduler_api_key"], failure_url=failure_url)
    registrar = Registrar(store, scheduler)
    chat = chat or _default_chat(settings, store)
    local_inbox = isinstance(chat, LocalInboxGateway)
    metrics = Metrics()
    # One pacer for fan-outs and nudges: together they stay within the provider's limit (the local inbox has none).
    pacer = Pacer(0 if local_inbox else settings.chat_sends_per_minute)
    replies = ReplyService(store, clock, timedelta(hours=settings.reply_window_hours))
    # One flow-control key per chat app carries its limit to QStash (services/send_flow.py).
    flow = None if local_inbox else plan_send_flow(**_send_limit(settings))
    gate = SendGate(store, scheduler, clock, flow)  # quiet hours and the daily cap, for fan-outs and nudges alike
    nudges = NudgeService(
        store,
        chat,
        pacer,
        clock,
        scheduler,
        lease_seconds=settings.claim_lease_seconds,
        deadline_seconds=settings.fanout_deadline_seconds,
        checks=[gate.nudge_check],
    )
    schedules = ScheduleService(
        store,
        registrar,
        clock,
        timedelta(minutes=settings.min_send_interval_minutes),
        settings.confirm_recipients_above,
    )
    delivery_log = DeliveryLogService(store, scheduler, clock)
    accounts = AccountService(store)
    alert_url = settings.alert_webhook_url.get_secret_value() if settings.alert_webhook_url else None
    alerts = AlertService(store, Conditions(store, registrar, settings), SlackNotifier(alert_url), clock)
    return Services(
        settings=settings,
        clock=clock,
        store=store,
        scheduler=scheduler,
        chat=chat,
        schedules=schedules,
        calendar=CalendarService(store, clock),
        test_sends=TestSendService(store, chat, clock),
        delivery_log=delivery_log,
        clients=ClientService(store, schedules),
        accounts=accounts,
        support=SupportService(store, scheduler),
        reports=ReportService(store, delivery_log, clock),
        inbox=InboxService(store, replies, clock) if local_inbox else None,
        auth=SignIn(
            _default_auth(settings, store),
            store.sign_in_failures,
            clock,
            # The demo's logins are listed on the sign-in page only offline: SQLite and local accounts.
            demo_accounts=store.accounts if settings.embedded_database and not settings.supabase_auth else None,
        ),
        web_sessions=WebSessionService(
            store.web_sessions, accounts, clock, settings.session_idle_timeout, settings.session_max_age
        ),
        # The provider's send limit applies to Stream; the local inbox has none.
        delivery=DeliveryService(
            store,
            chat,
            pacer,
            clock,
            on_finished=registrar.delete_schedules,
            concurrency=settings.fanout_concurrency,
            lease_seconds=settings.claim_lease_seconds,
            deadline_seconds=settings.fanout_deadline_seconds,
            chunking=Chunking(
                scheduler,
                settings.fanout_inline_max,
                settings.fanout_chunk_size,
                flow,
            ),
            metrics=metrics,
            after_occurrence=nudges.schedule,
            gate=gate,
        ),
        webhook_auth=WebhookAuth(
            settings.webhook_auth or ("either" if settings.embedded_qstash else "signature"),
            (secrets["qstash_current_signing_key"], secrets["qstash_next_signing_key"]),
            webhook_url,
            secrets["scheduler_api_key"],
        ),
        qstash_base_url=qstash_base_url,
        metrics=metrics,
        replies=replies,
        reply_stats=ReplyStatsService(store),
        nudges=nudges,
        alerts=alerts,
        failure_callbacks=FailureCallbacks(store, alerts, registrar.delete_schedules),
        health=HealthService(store, scheduler, chat, clock),
        send_rules=SendRuleSettings(store),
    )


def _default_engine(settings: config_module.Settings, migrate: bool) -> Engine:
    """The configured database; the embedded SQLite file migrates itself."""
    url = resolve_database_url(settings)
    # A production database is migrated on purpose (`python -m services migrate`), never by several web
    # workers racing at start-up.
    if migrate and settings.embedded_database:
        run_migrations(url)
    # One pooled connection per Flask thread of a webhook worker (the dashboard needs fewer).
    return make_engine(url, pooler=uses_transaction_pooler(settings), pool_size=settings.webhook_threads)


def _send_limit(settings: config_module.Settings) -> dict:
    """The chat provider's limit, the chunk size asked for, and whose limit it is (the Stream app)."""
    return {
        "sends_per_minute": settings.chat_sends_per_minute,
        "max_chunk": settings.fanout_chunk_size,
        "chat_app": settings.stream_api_key or "chat",
    }


def _public_url(settings: config_module.Settings) -> str:
    """The webhook's public base URL (what QStash calls and signs), without a trailing slash."""
    return (settings.public_app_url or f"http://{settings.webhook_host}:{settings.webhook_port}").rstrip("/")


def _default_chat(settings: config_module.Settings, store: Store) -> ChatGateway:
    """Stream Chat when configured, else the local inbox."""
    if settings.embedded_chat:
        return LocalInboxGateway(store.inbox)
    from services.chat.stream_gateway import StreamChatGateway

    return StreamChatGateway(
        settings.stream_api_key, settings.stream_api_secret.get_secret_value(), base_url=settings.stream_chat_url
    )


def _default_auth(settings: config_module.Settings, store: Store) -> Authenticator:
    """Supabase Auth when configured, else local accounts."""
    if settings.supabase_auth:
        return SupabaseAuth(store.accounts, settings.supabase_url, settings.supabase_anon_key.get_secret_value())
    return LocalAuth(store.accounts)
