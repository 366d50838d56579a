"""`python -m ticket_service serve|migrate`: run the ticket service, or migrate its database.

Seeding, training and evaluating are offline tools: `python -m ticket_service_tools`.
"""

from __future__ import annotations

import argparse

from ticket_service.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ticket_service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP service (settings from the environment)")
    migrate = commands.add_parser("migrate", help="apply the database migrations")
    migrate.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or the local SQLite file")
    args = parser.parse_args(argv)

    settings = Settings()
    if args.command == "serve":
        from campusdesk_common.runner import serve

        serve("ticket_service.main:create_app", settings)
    elif args.command == "migrate":
        from ticket_service.database import migrate as apply_migrations

        apply_migrations(args.database_url or settings.database_url)
