"""The Alembic history has one head: branches made in parallel are merged before they land."""

from alembic.config import Config
from alembic.script import ScriptDirectory

from services.db.engine import MIGRATIONS_DIR


def test_the_history_has_exactly_one_head():
    """`upgrade head` needs one head; two would stop every fresh database from migrating."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
