"""Saved texts for the compose form: named, personalisable, validated like a message before they are kept."""

from __future__ import annotations

from services import templates
from services.compose import MAX_BODY
from services.domain import Actor
from services.errors import UserError
from services.store import Store

MAX_NAME = 80


class TemplateService:
    """A coach saves, names, reuses and deletes texts."""

    def __init__(self, store: Store):
        self.store = store

    def list(self, actor: Actor) -> list[dict]:
        """The coach's saved texts by name."""
        return self.store.message_templates.list(actor)

    def save(self, actor: Actor, name: str, body: str) -> dict:
        """Keep a text under a name (replacing one of that name) once it is valid as a message."""
        name, body = (name or "").strip(), (body or "").strip()
        if not name:
            raise UserError("Give the text a name to find it by.", "template_name")
        if len(name) > MAX_NAME:
            raise UserError(f"The name is longer than {MAX_NAME} characters.", "template_name")
        if not body:
            raise UserError("Write the message text first.", "body")
        if len(body) > MAX_BODY:
            raise UserError(f"The text is {len(body):,} characters; the limit is {MAX_BODY:,}.", "body")
        templates.check(body)  # the same personalisation fields as a message, nothing else
        return self.store.message_templates.save(actor, name, body)

    def get(self, actor: Actor, template_id: str) -> dict:
        """One saved text of the coach."""
        return self.store.message_templates.get(actor, template_id)

    def delete(self, actor: Actor, template_id: str) -> None:
        """Forget a saved text."""
        self.store.message_templates.delete(actor, template_id)
