"""Load the seed data set into an empty database, and only into an empty one."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from initiatives.models import Agency, Initiative

SEED_FIXTURE = "seed"


class Command(BaseCommand):
    help = (
        "Load the seed fixtures (the 2023-03-01 press conference on new industrialization) when "
        "the database holds no agencies or initiatives yet; otherwise leave the data alone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Staff may have changed the seed rows since; loading again would overwrite their work.
        if Agency.objects.exists() or Initiative.objects.exists():
            self.stdout.write("The database already holds data; the seed was not loaded again.")
            return
        call_command("loaddata", SEED_FIXTURE, verbosity=options["verbosity"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the seed data set: {Initiative.objects.count()} initiatives."
            )
        )
