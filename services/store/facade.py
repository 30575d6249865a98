"""One object holding every repository over one engine and clock."""

from __future__ import annotations

from sqlalchemy import Engine, text

from services.store.accounts import AccountRepository
from services.store.alerts import AlertRepository
from services.store.audit import AuditRepository
from services.store.base import Clock, utc_now
from services.store.client_import import ClientImportRepository
from services.store.clients import ClientRepository
from services.store.dead_letters import DeadLetterRepository
from services.store.deliveries import DeliveryRepository
from services.store.delivery_log import DeliveryLogRepository
from services.store.guards import SignatureRepository, SignInFailureRepository
from services.store.inbox import InboxRepository
from services.store.message_templates import TemplateRepository
from services.store.messages import MessageRepository
from services.store.nudges import NudgeRepository
from services.store.ops_stats import OpsStatsRepository
from services.store.replies import ReplyRepository
from services.store.reports import ReportRepository
from services.store.send_calendar import CalendarRepository
from services.store.send_rules import SendRuleRepository
from services.store.test_sends import TestSendRepository
from services.store.web_sessions import WebSessionRepository


class Store:
    """The store: repositories sharing an engine and a clock."""

    def __init__(self, engine: Engine, clock: Clock = utc_now):
        self.engine = engine
        self.clock = clock
        self.accounts = AccountRepository(engine, clock)
        self.clients = ClientRepository(engine, clock)
        self.client_import = ClientImportRepository(engine, clock)
        self.messages = MessageRepository(engine, clock)
        self.message_templates = TemplateRepository(engine, clock)
        self.deliveries = DeliveryRepository(engine, clock)
        self.log = DeliveryLogRepository(engine, clock)
        self.audit = AuditRepository(engine, clock)
        self.reports = ReportRepository(engine, clock)
        self.inbox = InboxRepository(engine, clock)
        self.signatures = SignatureRepository(engine, clock)
        self.sign_in_failures = SignInFailureRepository(engine, clock)
        self.replies = ReplyRepository(engine, clock)
        self.nudges = NudgeRepository(engine, clock)
        self.web_sessions = WebSessionRepository(engine, clock)
        self.alerts = AlertRepository(engine, clock)
        self.dead_letters = DeadLetterRepository(engine, clock)
        self.ops = OpsStatsRepository(engine, clock)
        self.calendar = CalendarRepository(engine, clock)
        self.test_sends = TestSendRepository(engine, clock)
        self.send_rules = SendRuleRepository(engine, clock)

    def ping(self) -> bool:
        """True when the database answers (health checks)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
