"""The coach's rules as saved from the Message Scheduler: checked first, nothing half-written."""

from datetime import time

import pytest

from services.errors import UserError
from services.send_rule_settings import SendRuleSettings
from services.send_rules import SendRules
from tests import factories


def test_rules_are_checked_before_they_are_stored(store, coach):
    settings = SendRuleSettings(store)
    assert settings.save(coach, (time(22, 0, 30), time(7)), 0) == SendRules(time(22), time(7), None)
    for quiet, cap, field in [((time(7), time(7)), 3, "quiet_hours"), (None, 51, "daily_cap"), (None, -1, "daily_cap")]:
        with pytest.raises(UserError) as refused:
            settings.save(coach, quiet, cap)
        assert refused.value.field == field
    assert settings.get(coach) == SendRules(time(22), time(7), None)  # the refused saves changed nothing
    with pytest.raises(UserError, match="Only coaches"):
        settings.save(factories.support(store), None, 3)
    assert settings.save(coach, None, 3) == SendRules(daily_cap=3)
