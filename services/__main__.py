"""Command line: `python -m services migrate | create-user | seed | check-config | show-demo-keys |
schedule-alert-check`."""

from __future__ import annotations

import argparse
import getpass
import sys

from services import config


def main(argv: list[str] | None = None) -> int:
    """Run one administrative command."""
    parser = argparse.ArgumentParser(prog="python -m services")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    user = commands.add_parser("create-user", help="create an account (password from a prompt or stdin)")
    user.add_argument("--email", required=True)
    user.add_argument("--name", default="")
    user.add_argument("--role", choices=["coach", "support", "admin"], default="admin")
    user.add_argument("--timezone", default="UTC")
    seed = commands.add_parser("seed", help="seed demo data into an empty embedded database")
    seed.add_argument(
        "--wait-for-qstash",
        type=float,
        default=0,
        metavar="SECONDS",
        help="wait up to this long for the local QStash server first",
    )
    commands.add_parser("local-qstash", help="run the embedded QStash server with this install's keys")
    commands.add_parser("check-config", help="validate settings and say which backends are used")
    commands.add_parser("schedule-alert-check", help="register the QStash schedule that runs the alert check")
    commands.add_parser("show-demo-keys", help="offline demo only: the scheduler API key and demo coach ids")
    args = parser.parse_args(argv)
    try:
        settings = config.load_settings()
        if args.command != "local-qstash":  # that one execs the server, which sets up its own logs
            from services.observability.startup import start_logging

            start_logging(settings)
        return COMMANDS[args.command](settings, args)
    except config.ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2


def _migrate(settings, _args) -> int:
    """Apply every migration."""
    from services.db.engine import migrate, resolve_database_url

    migrate(resolve_database_url(settings, migrations=True))
    print("Database is up to date.")
    return 0


def _create_user(settings, args) -> int:
    """Create an account; the password never appears in argv or output."""
    from services.bootstrap import build_services
    from services.errors import UserError

    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        account = build_services(settings).accounts.create_first(
            args.email, args.name or args.email, args.timezone, args.role, password
        )
    except UserError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    print(f"Created {account.role} {account.email}.")
    return 0


def _seed(settings, args) -> int:
    """Seed demo data once (after the local QStash answers, so the demo schedules register)."""
    from services.bootstrap import build_services
    from services.demo_seed import seed
    from services.local_runner import wait_for_http

    if settings.database_url:
        print("DATABASE_URL is set: demo data is never seeded there.")
        return 0
    if args.wait_for_qstash and settings.embedded_qstash:
        wait_for_http(f"http://127.0.0.1:{settings.local_qstash_port}/healthz", args.wait_for_qstash)
    print("Seeded demo data." if seed(build_services(settings)) else "Demo data already present; nothing changed.")
    return 0


def _local_qstash(settings, _args) -> int:
    """Start local_qstash on this install's port and data dir, with the keys the services use."""
    from services.local_runner import run_local_qstash

    return run_local_qstash(settings)


def _check_config(settings, _args) -> int:
    """Print which backend each part uses (never a secret)."""
    for part, backend in _database_parts(settings):
        print(f"{part}: {backend}")
    print(f"scheduler: {'local QStash' if settings.embedded_qstash else 'QStash'}")
    print(f"chat: {'local inbox' if settings.embedded_chat else 'Stream Chat'}")
    print(f"login: {'Supabase Auth' if settings.supabase_auth else 'local accounts'}")
    return 0


def _database_parts(settings) -> list[tuple[str, str]]:
    """Where the app and the migrations connect, and whether through a transaction pooler."""
    from services.db.engine import uses_transaction_pooler

    pooled = uses_transaction_pooler(settings)
    database = "embedded SQLite" if settings.embedded_database else "DATABASE_URL"
    if settings.database_migration_url:
        migrations = "DATABASE_MIGRATION_URL"
    else:
        migrations = "refused through the pooler: set DATABASE_MIGRATION_URL" if pooled else "the same database"
    return [
        ("database", database + (" (transaction pooler: no prepared statements)" if pooled else "")),
        ("migrations", migrations),
    ]


def _show_demo_keys(settings, _args) -> int:
    """Print `export KEY=…` and `export COACH_ID=…` for the README's curl examples (embedded demo only)."""
    from services.bootstrap import build_services
    from services.demo_keys import lines
    from services.errors import UserError

    if settings.database_url:  # checked before anything connects to a production database
        print("Error: show-demo-keys works in the offline demo only, not with DATABASE_URL.", file=sys.stderr)
        return 1
    try:
        print("\n".join(lines(build_services(settings))))
    except UserError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _schedule_alert_check(settings, _args) -> int:
    """Create or replace the QStash schedule firing /api/alerts/check (ALERT_CHECK_CRON, default every minute)."""
    from services.alerts import register_check
    from services.bootstrap import build_services
    from services.errors import UserError

    try:
        schedule_id = register_check(build_services(settings).scheduler, settings.alert_check_cron)
    except UserError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return 1
    print(f"Alert check scheduled in QStash ({schedule_id}, cron {settings.alert_check_cron}).")
    return 0


COMMANDS = {
    "migrate": _migrate,
    "create-user": _create_user,
    "seed": _seed,
    "check-config": _check_config,
    "local-qstash": _local_qstash,
    "show-demo-keys": _show_demo_keys,
    "schedule-alert-check": _schedule_alert_check,
}

if __name__ == "__main__":
    sys.exit(main())
