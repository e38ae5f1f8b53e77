"""Run the reminder sweep by hand, in this process: no worker needed."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.dates import local_today
from tracker import policy, services


class Command(BaseCommand):
    help = (
        "Plan the reminders due today (or --today) and send every pending one now, printing "
        "what goes to whom, and which reminders reach nobody and why. --dry-run prints what "
        "would be planned and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print, change nothing.")
        parser.add_argument("--today", help="Plan as if today were YYYY-MM-DD (in TIME_ZONE).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = (
                datetime.date.fromisoformat(options["today"]) if options["today"] else local_today()
            )
        except ValueError:
            raise CommandError("--today takes a date as YYYY-MM-DD.") from None
        if not policy.is_working_day(today):
            # Otherwise "0 planned" on a weekend or holiday would look like a fault.
            self.stdout.write(
                f"{today} is not a working day: reminders due on it go out on the working day "
                "before (notices, due-day warnings) or after (overdue reminders)."
            )
        if options["dry_run"]:
            self.dry_run(today)
            return
        planned = services.reminders_sweep(today=today)
        outcome = services.reminders_send_batch(
            services.recipients_with_pending_reminders(), today=today
        )
        for recipient in outcome.sent:
            self.stdout.write(f"sent digest to {recipient}")
        for recipient in outcome.failed:
            self.stderr.write(f"could not send to {recipient}; it stays pending for a retry")
        unreached = list(services.reminders_unreached(planned_on=today))
        for row in unreached:
            self.report_unreached(
                row.level, row.slot, row.milestone.title, row.due_date, row.last_error
            )
        self.stdout.write(
            f"{today}: {planned} planned, {len(outcome.sent)} digests sent, "
            f"{len(outcome.failed)} failed, {outcome.skipped} skipped (done or moved), "
            f"{len(unreached)} reach nobody."
        )

    def dry_run(self, today: datetime.date) -> None:
        count = unreached = 0
        for rows in services.planned_reminders(today):
            for row in rows:
                if row.unreached:
                    unreached += 1
                    self.report_unreached(
                        row.level, row.slot, row.milestone_title, row.due_date, row.unreached
                    )
                    continue
                count += 1
                self.stdout.write(
                    f"would plan {row.level} ({row.slot}) to {row.recipient}: "
                    f"{row.milestone_title} — due {row.due_date}"
                )
        self.stdout.write(
            f"Dry run for {today}: {count} reminders due (some may exist), "
            f"{unreached} reach nobody."
        )

    def report_unreached(
        self, level: str, slot: str, title: str, due_date: datetime.date, why: str
    ) -> None:
        self.stdout.write(
            self.style.WARNING(f"reaches nobody, {level} ({slot}): {title} — due {due_date}. {why}")
        )
