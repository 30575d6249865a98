"""GoTrue's error answers: the codes and messages it sends, in the shape the request's API version asks for."""

from __future__ import annotations

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION = "2024-01-01"  # what supabase_auth sends; GoTrue then answers {"code": <error code>, "message"}

INVALID_LOGIN = "Invalid login credentials"
EMAIL_NOT_CONFIRMED = "Email not confirmed"
RATE_LIMITED = "Request rate limit reached"
REFRESH_NOT_FOUND = "Invalid Refresh Token: Refresh Token Not Found"
REFRESH_ALREADY_USED = "Invalid Refresh Token: Already Used"
SESSION_EXPIRED = "Invalid Refresh Token: Session Expired"
NO_BEARER = "This endpoint requires a valid Bearer token"
SESSION_NOT_FOUND = "Session from session_id claim in JWT does not exist"


class AuthRuleError(Exception):
    """A refusal GoTrue would answer with; `oauth` marks the older token endpoint's OAuth-style errors."""

    def __init__(self, status: int, code: str, message: str, oauth: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.oauth = status, code, message, oauth

    def body(self, api_version: str | None, oauth_style: bool) -> dict:
        """The JSON GoTrue sends: 2024-01-01 style, the older HTTPError, or (old servers) an OAuth error."""
        if oauth_style and self.oauth:
            return {"error": self.oauth, "error_description": self.message}
        if api_version == API_VERSION:
            return {"code": self.code, "message": self.message}
        return {"code": self.status, "error_code": self.code, "msg": self.message}


def invalid_login() -> AuthRuleError:
    """Unknown email or wrong password: the same answer for both, so emails cannot be probed."""
    return AuthRuleError(400, "invalid_credentials", INVALID_LOGIN, oauth="invalid_grant")


def email_not_confirmed() -> AuthRuleError:
    """The password was right but the address was never confirmed."""
    return AuthRuleError(400, "email_not_confirmed", EMAIL_NOT_CONFIRMED, oauth="invalid_grant")


def rate_limited() -> AuthRuleError:
    """Too many calls of a limited endpoint from one address."""
    return AuthRuleError(429, "over_request_rate_limit", RATE_LIMITED)


def refresh_error(code: str, message: str) -> AuthRuleError:
    """A refused refresh token (not found, already used, session expired)."""
    return AuthRuleError(400, code, message, oauth="invalid_grant")


def bad_jwt(reason: str) -> AuthRuleError:
    """An access token that does not verify or has expired."""
    return AuthRuleError(403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {reason}")
