"""Accounts: coaches, support staff and admins."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from services.db.schema import ROLES, accounts
from services.domain import Account, Actor
from services.errors import Forbidden, NotFound, UserError
from services.recurrence import zone
from services.store.base import Repository, new_id


def _account(row) -> Account:
    """Map a row to an Account."""
    return Account(id=row.id, email=row.email, display_name=row.display_name, timezone=row.timezone,
                   role=row.role, chat_user_id=row.chat_user_id, active=row.active)


class AccountRepository(Repository):
    """Reads and writes accounts."""

    def create(self, email: str, display_name: str, timezone_name: str, role: str,
               password_hash: str | None = None, account_id: str | None = None) -> Account:
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
            conn.execute(insert(accounts).values(
                id=account_id, email=email, display_name=display_name.strip() or email, timezone=timezone_name,
                role=role, chat_user_id=f"coach-{account_id[:8]}-{account_id[9:13]}", password_hash=password_hash,
                active=True, created_at=self.clock()))
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
