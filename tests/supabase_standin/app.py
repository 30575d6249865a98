"""The stand-in's HTTP side: the Auth routes the SDK calls, behind Supabase's API-key gateway and GoTrue's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request

from tests.supabase_standin import rules

if TYPE_CHECKING:
    from tests.supabase_standin.standin import SupabaseAuthStandIn


def create_app(standin: SupabaseAuthStandIn) -> Flask:
    """A Flask app serving /auth/v1 for one stand-in."""
    app = Flask(__name__)
    state = standin.state

    @app.before_request
    def gateway():
        """Supabase's gateway: no or a wrong API key never reaches Auth; an unreachable Auth answers 503."""
        standin.calls.append((request.method, request.path, request.args.get("grant_type")))
        key = request.headers.get("apikey")
        if not key:
            return jsonify(message="No API key found in request", hint="No `apikey` request header or url param."), 401
        if key != standin.anon_key:
            return jsonify(message="Invalid API key", hint="Double check your Supabase `anon` API key."), 401
        if standin.down:
            return jsonify(message="An invalid response was received from the upstream server"), 503
        return None

    @app.post("/auth/v1/token")
    def token():
        grant = request.args.get("grant_type")
        body = request.get_json(silent=True) or {}
        if grant not in ("password", "refresh_token"):
            raise rules.AuthRuleError(400, "invalid_credentials", "unsupported_grant_type")
        if not standin.token_limiter.allow(request.remote_addr):
            raise rules.rate_limited()
        if grant == "password":
            return _json(state.password_grant(body.get("email", ""), body.get("password", "")))
        return _json(state.refresh_grant(body.get("refresh_token", "")))

    @app.get("/auth/v1/user")
    def user():
        found, _ = state.user_for(_bearer())
        return _json(found)

    @app.post("/auth/v1/logout")
    def logout():
        state.logout(_bearer(), request.args.get("scope", "global"))
        return _versioned(Response(status=204))

    @app.errorhandler(rules.AuthRuleError)
    def refused(error: rules.AuthRuleError):
        body = error.body(request.headers.get(rules.API_VERSION_HEADER), standin.oauth_errors)
        return _versioned(jsonify(body)), error.status

    return app


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def _json(payload: dict) -> Response:
    return _versioned(jsonify(payload))


def _versioned(response: Response) -> Response:
    """GoTrue echoes the API version it answered in."""
    if request.headers.get(rules.API_VERSION_HEADER) == rules.API_VERSION:
        response.headers[rules.API_VERSION_HEADER] = rules.API_VERSION
    return response
