"""Accounts: coaches, support staff and admins. Every change is audited in the same transaction."""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from services.db.schema import accounts
from services.domain import Account, Actor
from services.errors import NotFound, UserError
from services.store import audit
from services.store.base import Repository, matches_any, new_id, page_of

# Which audit action each editable column's change is recorded as.
AUDIT_ACTIONS = {
    "display_name": "account_edit",
    "timezone": "account_edit",
    "role": "account_role",
    "active": "account_active",
}


_BY_ID = select(accounts).where(accounts.c.id == bindparam("account_id"))  # built once: read on every firing


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
        sessions_valid_after=row.sessions_valid_after,
    )


class AccountRepository(Repository):
    """Reads and writes accounts; the services decide who may, this keeps the rows and their audit together."""

    def insert(
        self,
        actor_id: str | None,
        email: str,
        display_name: str,
        timezone_name: str,
        role: str,
        password_hash: str | None,
        account_id: str | None = None,
    ) -> Account:
        """Insert an active account and its 'account_create' audit event; a taken email is refused."""
        account_id = account_id or new_id()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(accounts).values(
                        id=account_id,
                        email=email,
                        display_name=display_name,
                        timezone=timezone_name,
                        role=role,
                        chat_user_id=f"coach-{account_id[:8]}-{account_id[9:13]}",
                        password_hash=password_hash,
                        active=True,
                        created_at=self.clock(),
                    )
                )
                created = {"email": email, "display_name": display_name, "timezone": timezone_name}
                audit.record(
                    conn,
                    self.clock(),
                    actor_id,
                    account_id,
                    None,
                    "account_create",
                    None,
                    {**created, "role": role, "active": True},
                )
        except IntegrityError:
            # The unique email constraint: two admins (or a race) creating the same address.
            if self.find_by_email(email) is None:
                raise
            raise UserError(f"An account with email {email} already exists.", "email") from None
        return self.get(account_id)

    def get(self, account_id: str) -> Account:
        """One account by id."""
        with self.read() as conn:
            row = conn.execute(_BY_ID, {"account_id": account_id}).first()
        if row is None:
            raise NotFound("No such account.")
        return _account(row)

    def find_by_email(self, email: str) -> tuple[Account, str | None] | None:
        """The account and its password hash, for login (the email as stored: lower case)."""
        with self.read() as conn:
            row = conn.execute(select(accounts).where(accounts.c.email == email)).first()
        return (_account(row), row.password_hash) if row else None

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        """Replace a stored hash without an audit event (argon2's rehash on login changes nothing visible)."""
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(password_hash=password_hash))

    def link_auth_user(self, account_id: str, auth_user_id: str) -> None:
        """Record which Supabase Auth user signs in as this account (row-level security matches auth.uid() to it).

        The email decides the account at every sign-in, so the link follows it: a Supabase user id held by another
        account (its email moved) is released first, in the same transaction.
        """
        with self.engine.begin() as conn:
            current = conn.scalar(select(accounts.c.auth_user_id).where(accounts.c.id == account_id))
            if current == auth_user_id:
                return
            conn.execute(
                accounts.update()
                .where(accounts.c.auth_user_id == auth_user_id, accounts.c.id != account_id)
                .values(auth_user_id=None)
            )
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(auth_user_id=auth_user_id))

    def coaches(self, actor: Actor) -> list[Account]:
        """Coaches visible to the actor: themselves, or all for support/admin."""
        query = select(accounts).where(accounts.c.role == "coach").order_by(accounts.c.display_name)
        if not actor.sees_all_coaches:
            query = query.where(accounts.c.id == actor.account_id)
        with self.read() as conn:
            return [_account(row) for row in conn.execute(query)]

    def count(self) -> int:
        """How many accounts exist (seeding checks this)."""
        with self.read() as conn:
            return conn.scalar(select(func.count()).select_from(accounts))

    def page(
        self,
        role: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Account], int]:
        """A page of accounts (by email) and the total under the same filters; search matches email or name."""
        query = select(accounts)
        if role:
            query = query.where(accounts.c.role == role)
        if search and search.strip():
            query = query.where(matches_any(search, accounts.c.email, accounts.c.display_name))
        if active is not None:
            query = query.where(accounts.c.active == active)
        with self.read() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            rows = conn.execute(page_of(query.order_by(accounts.c.email, accounts.c.id), limit, offset))
            return [_account(row) for row in rows], total

    def update(self, actor: Actor, account_id: str, **values) -> Account:
        """Change display_name, timezone, role and/or active; one audit event per kind of change made."""
        unknown = set(values) - set(AUDIT_ACTIONS)
        if unknown:
            raise ValueError(f"Accounts cannot update {', '.join(sorted(unknown))} here.")
        with self.engine.begin() as conn:
            row = conn.execute(_BY_ID, {"account_id": account_id}).first()
            if row is None:
                raise NotFound("No such account.")
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            ends_sessions = {"sessions_valid_after": self.clock()} if changed.get("active") is False else {}
            if changed:
                conn.execute(accounts.update().where(accounts.c.id == account_id).values(**changed, **ends_sessions))
            for action in dict.fromkeys(AUDIT_ACTIONS[k] for k in changed):
                keys = [k for k in changed if AUDIT_ACTIONS[k] == action]
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
        with self.engine.begin() as conn:
            query = (
                accounts.update()
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash, sessions_valid_after=self.clock())
            )
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
