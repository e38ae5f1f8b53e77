"""Issue an API token for a user and print it, once."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.models import AccessToken
from initiatives.tokens import token_issue


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it. Only its digest is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default: never)."
        )
        parser.add_argument(
            "--scope",
            choices=AccessToken.Scope.values,
            default=AccessToken.Scope.API,
            help="api (default) or calendar (opens only the user's calendar feed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        try:
            row, token = token_issue(
                user=user,
                name=options["name"],
                scope=options["scope"],
                expires_in=datetime.timedelta(days=days) if days else None,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        expiry = f"expires {row.expires_at:%Y-%m-%d %H:%M %Z}" if row.expires_at else "no expiry"
        self.stderr.write(f"Token {row.name!r} for {user.username} ({row.scope}, {expiry}).")
        self.stderr.write("It is shown only now; store it safely:")
        self.stdout.write(token)
