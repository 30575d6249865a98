"""Accounts: coaches, support staff and admins."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import func, insert, or_, select

from services.db.schema import ROLES, accounts
from services.domain import Account, Actor
from services.errors import Forbidden, NotFound, UserError
from services.recurrence import zone
from services.store import audit
from services.store.base import Repository, new_id, page_of


def _account(row) -> Account:
    """Map a row to an Account."""
    return Account(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        timezone=row.timezone,
        role=row.role,
        chat_user_id=row.chat_user_id,
        active=row.active,
    )


class AccountRepository(Repository):
    """Reads and writes accounts."""

    def create(
        self,
        email: str,
        display_name: str,
        timezone_name: str,
        role: str,
        password_hash: str | None = None,
        account_id: str | None = None,
    ) -> Account:
        """Insert an account; email is unique and case-insensitive."""
        email = (email or "").strip().lower()
        if "@" not in email or len(email) > 254:
            raise UserError("Enter a valid email address.", "email")
        if role not in ROLES:
            raise UserError(f"Role must be one of {', '.join(ROLES)}.", "role")
        zone(timezone_name)
        account_id = account_id or new_id()
        with self.engine.begin() as conn:
            if conn.scalar(select(func.count()).where(accounts.c.email == email)):
                raise UserError(f"An account with email {email} already exists.", "email")
            conn.execute(
                insert(accounts).values(
                    id=account_id,
                    email=email,
                    display_name=display_name.strip() or email,
                    timezone=timezone_name,
                    role=role,
                    chat_user_id=f"coach-{account_id[:8]}-{account_id[9:13]}",
                    password_hash=password_hash,
                    active=True,
                    created_at=self.clock(),
                )
            )
        return self.get(account_id)

    def get(self, account_id: str) -> Account:
        """One account by id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        if row is None:
            raise NotFound("No such account.")
        return _account(row)

    def find_by_email(self, email: str) -> tuple[Account, str | None] | None:
        """The account and its password hash, for login."""
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.email == (email or "").strip().lower())).first()
        return (_account(row), row.password_hash) if row else None

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        """Replace a stored hash (argon2 rehash on login)."""
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(password_hash=password_hash))

    def coaches(self, actor: Actor) -> list[Account]:
        """Coaches visible to the actor: themselves, or all for support/admin."""
        query = select(accounts).where(accounts.c.role == "coach").order_by(accounts.c.display_name)
        if not actor.sees_all_coaches:
            query = query.where(accounts.c.id == actor.account_id)
        with self.engine.connect() as conn:
            return [_account(row) for row in conn.execute(query)]

    def count(self) -> int:
        """How many accounts exist (seeding checks this)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(accounts))

    def require_role(self, actor: Actor, *roles: str) -> None:
        """Refuse the action unless the actor has one of the roles."""
        if actor.role not in roles:
            raise Forbidden("Your role does not allow this.")

    # Admin-only reads and writes for the Accounts page. Every change is audited in the same transaction, with
    # coach_id = the changed account; password hashes never reach the audit values.
    _EDITABLE: ClassVar[dict[str, str]] = {
        "display_name": "account_edit",
        "timezone": "account_edit",
        "role": "account_role",
        "active": "account_active",
    }

    def page(
        self,
        actor: Actor,
        role: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Account], int]:
        """A page of accounts (by email) and the total under the same filters; search matches email or name."""
        self.require_role(actor, "admin")
        query = select(accounts)
        if role:
            query = query.where(accounts.c.role == role)
        if search and search.strip():
            text = search.strip().lower()
            query = query.where(
                or_(
                    func.lower(accounts.c.email).contains(text, autoescape=True),
                    func.lower(accounts.c.display_name).contains(text, autoescape=True),
                )
            )
        if active is not None:
            query = query.where(accounts.c.active == active)
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            rows = conn.execute(page_of(query.order_by(accounts.c.email, accounts.c.id), limit, offset))
            return [_account(row) for row in rows], total

    def add(
        self, actor: Actor, email: str, display_name: str, timezone_name: str, role: str, password_hash: str
    ) -> Account:
        """Create an account (see create) and audit it as 'account_create'."""
        self.require_role(actor, "admin")
        created = self.create(email, display_name, timezone_name, role, password_hash=password_hash)
        with self.engine.begin() as conn:
            audit.record(
                conn,
                self.clock(),
                actor.account_id,
                created.id,
                None,
                "account_create",
                None,
                {
                    "email": created.email,
                    "display_name": created.display_name,
                    "timezone": created.timezone,
                    "role": created.role,
                    "active": created.active,
                },
            )
        return created

    def update(self, actor: Actor, account_id: str, **values) -> Account:
        """Change display_name, timezone, role and/or active; one audit event per kind of change made."""
        self.require_role(actor, "admin")
        unknown = set(values) - set(self._EDITABLE)
        if unknown:
            raise ValueError(f"Accounts cannot update {', '.join(sorted(unknown))} here.")
        with self.engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
            if row is None:
                raise NotFound("No such account.")
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if changed:
                conn.execute(accounts.update().where(accounts.c.id == account_id).values(**changed))
            for action in dict.fromkeys(self._EDITABLE[k] for k in changed):
                keys = [k for k in changed if self._EDITABLE[k] == action]
                audit.record(
                    conn,
                    self.clock(),
                    actor.account_id,
                    account_id,
                    None,
                    action,
                    {k: getattr(row, k) for k in keys},
                    {k: changed[k] for k in keys},
                )
        return self.get(account_id)

    def change_password(self, actor: Actor, account_id: str, password_hash: str) -> None:
        """Replace an account's password hash; the audit event says only that it changed."""
        self.require_role(actor, "admin")
        with self.engine.begin() as conn:
            query = accounts.update().where(accounts.c.id == account_id).values(password_hash=password_hash)
            if conn.execute(query).rowcount != 1:
                raise NotFound("No such account.")
            audit.record(
                conn,
                self.clock(),
                actor.account_id,
                account_id,
                None,
                "account_password",
                None,
                {"password": "changed"},
            )
