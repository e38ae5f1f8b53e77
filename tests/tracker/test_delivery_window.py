"""The one window in which a digest goes twice: the SMTP server accepted it, and its reply was
lost. The ledger still records each reminder once; the copy carries the same Message-ID, so a
mail client or server can tell it for the duplicate it is."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.tracker.conftest import Sink
from tracker.models import Reminder
from tracker.services import recipients_with_pending_reminders, reminders_plan, reminders_send_batch

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 6, 19)


class ReplyLost(Sink):
    """Takes the first message, then hangs up before saying so."""

    lose_next_reply = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.lose_next_reply:
            self.lose_next_reply = False
            server.transport.close()
        return answer


def test_a_lost_acceptance_sends_the_digest_again_with_the_same_message_id(smtp: Any) -> None:
    # given a reminder due, and a server whose first "250 OK" never arrives
    smtp.stop()
    smtp.sink = ReplyLost()
    smtp.start()
    owner = UserFactory(email="ann@example.org")
    MilestoneFactory(
        initiative=InitiativeFactory(owner_agency=AgencyFactory()), owner=owner, due_date=TODAY
    )
    reminders_plan(today=TODAY)
    # when the sender tries, fails to hear back, and tries again
    first = reminders_send_batch(recipients_with_pending_reminders(), today=TODAY)
    second = reminders_send_batch(recipients_with_pending_reminders(), today=TODAY)
    # then the server holds two copies of one digest, and the ledger one sent reminder
    assert (first.failed, second.sent) == (["ann@example.org"], ["ann@example.org"])
    copies = smtp.sink.messages
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.message_id) == ("sent", 2, copies[0]["Message-ID"])
    # and nothing more goes out
    assert reminders_send_batch(recipients_with_pending_reminders(), today=TODAY).sent == []
