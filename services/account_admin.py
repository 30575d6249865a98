"""The Accounts page's service: admins list, create and change dashboard accounts, with clear messages.

Only an admin may call any of these (anyone else gets Forbidden). An admin cannot deactivate or demote their own
account, so the dashboard always keeps the admin who is using it. Every change is audited by the store in the
same transaction; passwords are hashed here (argon2, services.auth) and neither they nor their hashes reach the
audit trail.
"""

from __future__ import annotations

from datetime import datetime

from services import validation
from services.auth import hash_password
from services.domain import ROLES, Account, Actor
from services.errors import Forbidden, UserError
from services.store import Store


class AccountService:
    """Create, list and change accounts (admin only); also makes the first admin from the command line."""

    roles = ROLES
    max_email = validation.MAX_EMAIL
    max_name = validation.MAX_PERSON_NAME

    def __init__(self, store: Store):
        self.store = store

    def page(
        self,
        actor: Actor,
        role: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Account], int]:
        """One page of accounts under the filters, and the total."""
        _require_admin(actor)
        role = validation.role(role) if role else None
        return self.store.accounts.page(role=role, search=search, active=active, limit=limit, offset=offset)

    def current(self, account_id: str, signed_in_at: datetime) -> Account | None:
        """The signed-in account as stored now, or None when its session has ended: the account is gone or
        deactivated, or its password was reset after this session signed in."""
        try:
            found = self.store.accounts.get(account_id)
        except UserError:
            return None
        if not found.active or (found.sessions_valid_after and found.sessions_valid_after >= signed_in_at):
            return None
        return found

    def get(self, actor: Actor, account_id: str) -> Account:
        """One account."""
        _require_admin(actor)
        return self.store.accounts.get(account_id)

    def create(self, actor: Actor, email: str, display_name: str, zone_name: str, role: str, password: str) -> Account:
        """A new active account that can log in with the initial password (at least 10 characters)."""
        _require_admin(actor)
        return self._create(actor.account_id, email, display_name, zone_name, role, password)

    def create_first(self, email: str, display_name: str, zone_name: str, role: str, password: str) -> Account:
        """An account made from the command line (the first admin): audited as done by the system."""
        return self._create(None, email, display_name, zone_name, role, password)

    def _create(
        self, actor_id: str | None, email: str, display_name: str, zone_name: str, role: str, password: str
    ) -> Account:
        """Check every field, then hash and insert (the insert and its audit event share one transaction)."""
        email, name = validation.email(email), validation.display_name(display_name)
        zone_name, role = validation.zone(zone_name), validation.role(role)
        password = validation.new_password(password)
        if self.store.accounts.find_by_email(email) is not None:  # before the slow hash; the constraint decides
            raise UserError(f"An account with email {email} already exists.", "email")
        return self.store.accounts.insert(actor_id, email, name, zone_name, role, hash_password(password))

    def edit(
        self, actor: Actor, account_id: str, display_name: str, zone_name: str, role: str, active: bool
    ) -> Account:
        """New name, zone, role and active state; everything is checked before anything is written."""
        _require_admin(actor)
        name, zone_name, role = validation.display_name(display_name), validation.zone(zone_name), validation.role(role)
        _not_self(actor, account_id, role, active)
        self._keeps_clients(account_id, role)
        return self.store.accounts.update(
            actor, account_id, display_name=name, timezone=zone_name, role=role, active=bool(active)
        )

    def set_password(self, actor: Actor, account_id: str, password: str) -> None:
        """Replace an account's password (at least 10 characters)."""
        _require_admin(actor)
        password = validation.new_password(password)
        self.store.accounts.get(account_id)  # an unknown id says so before the slow hash
        self.store.accounts.change_password(actor, account_id, hash_password(password))

    def _keeps_clients(self, account_id: str, role: str) -> None:
        """A coach with clients stays a coach: their clients and schedules would be left without an owner."""
        if role == "coach" or self.store.accounts.get(account_id).role != "coach":
            return
        count = self.store.clients.count(Actor(account_id, "coach"))
        if count:
            raise UserError(
                f"This coach still has {count} client{'s' if count != 1 else ''}. Deactivate the account "
                "instead, or move the clients first.",
                "role",
            )


def _require_admin(actor: Actor) -> None:
    """Refuse everyone but an admin."""
    if actor.role != "admin":
        raise Forbidden("Only an admin can manage accounts.")


def _not_self(actor: Actor, account_id: str, role: str, active: bool) -> None:
    """An admin keeps their own admin role and active account: someone must be able to undo mistakes."""
    if account_id != actor.account_id:
        return
    if not active:
        raise UserError("You cannot deactivate your own account. Ask another admin to do it.", "active")
    if role != "admin":
        raise UserError("You cannot remove your own admin role. Ask another admin to do it.", "role")
