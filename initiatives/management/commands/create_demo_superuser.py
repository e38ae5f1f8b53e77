"""Create the demo superuser of a development stack, once."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
# Reminders need an address to go to; on the default stack mail to it lands in VAR_DIR/mail.
DEMO_EMAIL = "demo@localhost"


class Command(BaseCommand):
    help = (
        "Create the superuser 'demo' (email demo@localhost) with a random password, written to "
        "VAR_DIR/demo-login.txt, unless it exists. Development only: refused when DEBUG is off."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("A demo superuser is for development stacks only (DEBUG is off).")
        login_file = Path(settings.VAR_DIR) / "demo-login.txt"
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(
                f"Demo superuser '{DEMO_USERNAME}' exists; its first password is in {login_file}."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_USERNAME, email=DEMO_EMAIL, password=password)
        login_file.parent.mkdir(parents=True, exist_ok=True)
        login_file.write_text(f"username: {DEMO_USERNAME}\npassword: {password}\n")
        login_file.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created demo superuser — username: {DEMO_USERNAME}  password: {password}  "
                f"(also saved in {login_file})"
            )
        )
