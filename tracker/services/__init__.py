"""Planning, dispatching and sending deadline reminders through the ledger (``Reminder``).

- ``reminders_plan`` (the sweep) inserts the ledger rows due today; it is idempotent.
- ``pending_recipient_batches`` says which recipients to hand to send tasks; the dispatch task
  queues them (services never queue tasks), and a broker that is down only leaves the rows
  pending for the next dispatch.
- ``reminders_send_batch`` sends one digest per recipient over one SMTP connection, claiming
  each recipient's rows first (row locks with SKIP LOCKED, and a lease that a later dispatch
  takes over if this worker dies) and marking them sent right after their own message.
- Staff actions (``reminder_send_now``, ``reminders_retry_failed``) only change the ledger.
"""

from tracker.services.digests import digest_message, message_id_for
from tracker.services.dispatch import (
    ClaimedReminder,
    claimed_reminders,
    pending_recipient_batches,
    recipients_with_pending_reminders,
    reminders_claim,
)
from tracker.services.planning import (
    PlannedReminder,
    due_dates_to_consider,
    milestones_to_remind,
    planned_reminders,
    reminders_add,
    reminders_plan,
    reminders_sweep,
    reminders_unreached,
    slots_due,
)
from tracker.services.sending import SendOutcome, reminders_send_batch
from tracker.services.staff import SentNow, reminder_send_now, reminders_retry_failed

__all__ = [
    "ClaimedReminder",
    "PlannedReminder",
    "SendOutcome",
    "SentNow",
    "claimed_reminders",
    "digest_message",
    "due_dates_to_consider",
    "message_id_for",
    "milestones_to_remind",
    "pending_recipient_batches",
    "planned_reminders",
    "recipients_with_pending_reminders",
    "reminder_send_now",
    "reminders_add",
    "reminders_claim",
    "reminders_plan",
    "reminders_retry_failed",
    "reminders_send_batch",
    "reminders_sweep",
    "reminders_unreached",
    "slots_due",
]
