"""The stand-in's Auth data: users, sessions and their refresh-token chains, behind one lock, on a settable clock."""

from __future__ import annotations

import hmac
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import jwt

from tests.supabase_standin import rules


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class AuthState:
    """What GoTrue keeps for one project; every method is atomic."""

    def __init__(self, clock: Callable[[], float], jwt_secret: str, issuer: str) -> None:
        self.clock, self.jwt_secret, self.issuer = clock, jwt_secret, issuer
        self.access_token_ttl = 3600  # GOTRUE_JWT_EXP
        self.reuse_interval = 10  # GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: a racing client may reuse once
        self.session_timebox: float | None = None  # GOTRUE_SESSIONS_TIMEBOX; None = sessions never expire
        self._lock = threading.Lock()
        self.users: dict[str, dict] = {}  # email -> user (with its password)
        self.sessions: dict[str, dict] = {}  # session id -> {"user": email, "created": epoch}
        self.refresh_tokens: dict[str, dict] = {}  # token -> {"session", "revoked", "updated", "child"}

    def add_user(self, email: str, password: str, confirmed: bool = True) -> dict:
        """A user as the Supabase dashboard creates one (confirmed) or sign-up leaves it (unconfirmed)."""
        now = self.clock()
        with self._lock:
            self.users[email.lower()] = {
                "id": str(uuid.uuid4()),
                "email": email.lower(),
                "password": password,
                "created_at": _iso(now),
                "email_confirmed_at": _iso(now) if confirmed else None,
            }
            return self.public_user(email.lower())

    def confirm(self, email: str) -> None:
        """The user opened the confirmation link."""
        with self._lock:
            self.users[email.lower()]["email_confirmed_at"] = _iso(self.clock())

    def password_grant(self, email: str, password: str) -> dict:
        """POST /token?grant_type=password, in GoTrue's order: user, password, then confirmation."""
        with self._lock:
            user = self.users.get((email or "").strip().lower())
            if user is None or not hmac.compare_digest(user["password"].encode(), (password or "").encode()):
                raise rules.invalid_login()
            if not user["email_confirmed_at"]:
                raise rules.email_not_confirmed()
            session = str(uuid.uuid4())
            self.sessions[session] = {"user": user["email"], "created": self.clock()}
            return self._tokens(user["email"], session, self._new_refresh_token(session))

    def refresh_grant(self, token: str) -> dict:
        """POST /token?grant_type=refresh_token: rotate the token; a reuse after the interval ends the session."""
        with self._lock:
            found = self.refresh_tokens.get(token or "")
            if found is None or found["session"] not in self.sessions:
                raise rules.refresh_error("refresh_token_not_found", rules.REFRESH_NOT_FOUND)
            session = self.sessions[found["session"]]
            if self.session_timebox is not None and self.clock() > session["created"] + self.session_timebox:
                raise rules.refresh_error("session_expired", rules.SESSION_EXPIRED)
            if found["revoked"]:
                if self.clock() > found["updated"] + self.reuse_interval:
                    self._end_session(found["session"])  # possible theft: the whole chain is revoked
                    raise rules.refresh_error("refresh_token_already_used", rules.REFRESH_ALREADY_USED)
                issued = self._latest(token)  # a client racing itself gets the current token again
            else:
                found.update(revoked=True, updated=self.clock())
                issued = found["child"] = self._new_refresh_token(found["session"])
            return self._tokens(session["user"], found["session"], issued)

    def user_for(self, access_token: str | None) -> tuple[dict, str]:
        """GET /user and POST /logout: the token's user and session, or GoTrue's refusal."""
        if not access_token:
            raise rules.AuthRuleError(401, "no_authorization", rules.NO_BEARER)
        try:
            # Times are checked against the stand-in's clock (tests move it), not PyJWT's.
            options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
            claims = jwt.decode(
                access_token, self.jwt_secret, algorithms=["HS256"], audience="authenticated", options=options
            )
        except jwt.InvalidTokenError as exc:
            raise rules.bad_jwt(str(exc)) from None
        if claims["exp"] <= self.clock():
            raise rules.bad_jwt("token has invalid claims: token is expired")
        with self._lock:
            if claims.get("session_id") not in self.sessions:
                raise rules.AuthRuleError(403, "session_not_found", rules.SESSION_NOT_FOUND)
            return self.public_user(claims["email"]), claims["session_id"]

    def logout(self, access_token: str | None, scope: str) -> None:
        """POST /logout?scope=global|local|others: end the sessions the scope names."""
        user, session = self.user_for(access_token)
        with self._lock:
            mine = [s for s, v in self.sessions.items() if v["user"] == user["email"]]
            chosen = {"global": mine, "local": [session], "others": [s for s in mine if s != session]}
            if scope not in chosen:
                raise rules.AuthRuleError(400, "validation_failed", f"Unsupported logout scope {scope!r}")
            for ended in chosen[scope]:
                self._end_session(ended)

    def public_user(self, email: str) -> dict:
        """The user object GoTrue returns (never the password)."""
        user = self.users[email]
        return {
            "id": user["id"],
            "aud": "authenticated",
            "role": "authenticated",
            "email": user["email"],
            "email_confirmed_at": user["email_confirmed_at"],
            "confirmed_at": user["email_confirmed_at"],
            "phone": "",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "identities": [],
            "created_at": user["created_at"],
            "updated_at": user["created_at"],
            "is_anonymous": False,
        }

    def active_sessions(self, email: str) -> int:
        """How many sessions the user has (tests check that sign-in leaves none behind)."""
        with self._lock:
            return sum(1 for v in self.sessions.values() if v["user"] == email.lower())

    def _tokens(self, email: str, session: str, refresh_token: str) -> dict:
        now = int(self.clock())
        user = self.public_user(email)
        claims = {
            "iss": self.issuer,
            "sub": user["id"],
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "session_id": session,
            "iat": now,
            "exp": now + self.access_token_ttl,
            "aal": "aal1",
            "is_anonymous": False,
        }
        return {
            "access_token": jwt.encode(claims, self.jwt_secret, algorithm="HS256"),
            "token_type": "bearer",
            "expires_in": self.access_token_ttl,
            "expires_at": now + self.access_token_ttl,
            "refresh_token": refresh_token,
            "user": user,
        }

    def _new_refresh_token(self, session: str) -> str:
        token = secrets.token_urlsafe(9)  # GoTrue's refresh tokens are short random strings
        self.refresh_tokens[token] = {"session": session, "revoked": False, "updated": self.clock(), "child": None}
        return token

    def _latest(self, token: str) -> str:
        while self.refresh_tokens[token]["child"]:
            token = self.refresh_tokens[token]["child"]
        return token

    def _end_session(self, session: str) -> None:
        self.sessions.pop(session, None)
        for token in [t for t, v in self.refresh_tokens.items() if v["session"] == session]:
            del self.refresh_tokens[token]
