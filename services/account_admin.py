"""The Accounts page's service: admins list, create and change dashboard accounts, with clear messages.

Only an admin may call any of these (anyone else gets Forbidden). An admin cannot deactivate or demote their own
account, so the dashboard always keeps the admin who is using it. Every change is audited by the store; passwords
are hashed here (argon2, services.auth) and neither they nor their hashes reach the audit trail.
"""

from __future__ import annotations

import re

from services import recurrence
from services.auth import hash_password
from services.db.schema import ROLES
from services.domain import Account, Actor
from services.errors import Forbidden, UserError
from services.store import Store
from services.text_fields import required_text

MAX_NAME = 120
MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def require_admin(actor: Actor) -> None:
    """Refuse everyone but an admin."""
    if actor.role != "admin":
        raise Forbidden("Only an admin can manage accounts.")


def clean_email(email: str | None) -> str:
    """A lower-case address of the form name@domain.tld."""
    email = (email or "").strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise UserError("Enter a valid email address, e.g. name@example.com.", "email")
    return email


def clean_name(name: str | None) -> str:
    """A non-empty display name that fits the column."""
    return required_text(name, MAX_NAME, "display_name", "Display name is required.", "display name")


def clean_role(role: str | None) -> str:
    """One of the known roles."""
    if role not in ROLES:
        raise UserError(f"Unknown role '{role}'. Choose one of {', '.join(ROLES)}.", "role")
    return role


def clean_zone(zone_name: str | None) -> str:
    """A known IANA zone name."""
    recurrence.zone(zone_name or "")
    return zone_name


def page(
    store: Store,
    actor: Actor,
    role: str | None = None,
    search: str | None = None,
    active: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[Account], int]:
    """One page of accounts under the filters, and the total."""
    require_admin(actor)
    return store.accounts.page(
        actor, role=clean_role(role) if role else None, search=search, active=active, limit=limit, offset=offset
    )


def get(store: Store, actor: Actor, account_id: str) -> Account:
    """One account."""
    require_admin(actor)
    return store.accounts.get(account_id)


def create(
    store: Store, actor: Actor, email: str, display_name: str, zone_name: str, role: str, password: str
) -> Account:
    """A new active account that can log in with the initial password (at least 10 characters)."""
    require_admin(actor)
    email, name = clean_email(email), clean_name(display_name)
    zone_name, role = clean_zone(zone_name), clean_role(role)
    if store.accounts.find_by_email(email) is not None:  # before hashing; the store checks again on insert
        raise UserError(f"An account with email {email} already exists.", "email")
    return store.accounts.add(actor, email, name, zone_name, role, hash_password(password))


def edit(
    store: Store, actor: Actor, account_id: str, display_name: str, zone_name: str, role: str, active: bool
) -> Account:
    """New name, zone, role and active state; everything is checked before anything is written."""
    require_admin(actor)
    name, zone_name, role = clean_name(display_name), clean_zone(zone_name), clean_role(role)
    _not_self(actor, account_id, role, active)
    _keeps_clients(store, account_id, role)
    return store.accounts.update(
        actor, account_id, display_name=name, timezone=zone_name, role=role, active=bool(active)
    )


def set_role(store: Store, actor: Actor, account_id: str, role: str) -> Account:
    """Give an account another role."""
    require_admin(actor)
    role = clean_role(role)
    _not_self(actor, account_id, role, True)
    _keeps_clients(store, account_id, role)
    return store.accounts.update(actor, account_id, role=role)


def set_profile(store: Store, actor: Actor, account_id: str, display_name: str, zone_name: str) -> Account:
    """A new display name and time zone."""
    require_admin(actor)
    return store.accounts.update(
        actor, account_id, display_name=clean_name(display_name), timezone=clean_zone(zone_name)
    )


def set_active(store: Store, actor: Actor, account_id: str, active: bool) -> Account:
    """Activate or deactivate an account (an inactive account cannot log in)."""
    require_admin(actor)
    _not_self(actor, account_id, "admin", active)
    return store.accounts.update(actor, account_id, active=bool(active))


def set_password(store: Store, actor: Actor, account_id: str, password: str) -> None:
    """Replace an account's password (at least 10 characters)."""
    require_admin(actor)
    store.accounts.get(account_id)  # an unknown id says so before the slow hash
    store.accounts.change_password(actor, account_id, hash_password(password))


def _keeps_clients(store: Store, account_id: str, role: str) -> None:
    """A coach with clients stays a coach: their clients and schedules would be left without an owner."""
    if role == "coach" or store.accounts.get(account_id).role != "coach":
        return
    count = store.clients.count(Actor(account_id, "coach"))
    if count:
        raise UserError(
            f"This coach still has {count} client{'s' if count != 1 else ''}. Deactivate the account "
            "instead, or move the clients first.",
            "role",
        )


def _not_self(actor: Actor, account_id: str, role: str, active: bool) -> None:
    """An admin keeps their own admin role and active account: someone must be able to undo mistakes."""
    if account_id != actor.account_id:
        return
    if not active:
        raise UserError("You cannot deactivate your own account. Ask another admin to do it.", "active")
    if role != "admin":
        raise UserError("You cannot remove your own admin role. Ask another admin to do it.", "role")
