"""The digest: one email of a recipient's reminders, grouped by initiative.

A plain ``EmailMultiAlternatives`` (text, with the HTML as its alternative) from the Jinja2
templates of the ``mail`` engine; Django writes its headers, including Date in TIME_ZONE
(``EMAIL_USE_LOCALTIME``).
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template

from tracker.links import MilestoneLinks
from tracker.models import Reminder
from tracker.services.dispatch import ClaimedReminder


def message_id_for(ids: Iterable[int]) -> str:
    """The same rows always make the same Message-ID, so a resent digest is recognisable (and
    the ledger keeps it beside each row sent)."""
    key = ",".join(str(pk) for pk in sorted(ids))
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<reminders-{digest}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"


class DigestLine(NamedTuple):
    level: str
    level_label: str
    title: str
    due_date: datetime.date
    days_left: int
    escalated: bool
    admin_url: str
    api_url: str


class DigestGroup(NamedTuple):
    """The lines of one initiative."""

    title: str
    lead_agency: str
    lines: list[DigestLine]


def digest_message(
    recipient: str, rows: list[ClaimedReminder], today: datetime.date
) -> EmailMultiAlternatives:
    """One email of the reminders ``rows`` to ``recipient``, grouped by initiative, soonest
    deadline first."""
    links = MilestoneLinks.current()
    levels = Counter(row.level for row in rows)
    groups: dict[int, DigestGroup] = {}
    for row in sorted(rows, key=lambda r: (r.milestone_due_date or r.due_date, r.milestone_id)):
        group = groups.get(row.initiative_id)
        if group is None:
            group = groups[row.initiative_id] = DigestGroup(
                row.initiative_title, row.lead_agency, []
            )
        group.lines.append(
            DigestLine(
                level=row.level,
                level_label=str(Reminder.Level(row.level).label),
                title=row.milestone_title,
                due_date=row.due_date,
                days_left=(row.due_date - today).days,
                escalated=row.escalated,
                admin_url=links.admin_url(row.milestone_id),
                api_url=links.api_url(row.milestone_id),
            )
        )
    context = {
        "recipient": recipient,
        "today": today,
        "groups": list(groups.values()),
        # Attributes, as the templates read them: Jinja2 looks a name up as an attribute first.
        "counts": SimpleNamespace(**{level: levels[level] for level in Reminder.Level.values}),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=_render("tracker/email/digest_subject.txt", context).strip(),
        body=_render("tracker/email/digest.txt", context),
        to=[recipient],
        headers={"Message-ID": message_id_for(row.id for row in rows)},
    )
    message.attach_alternative(_render("tracker/email/digest.html", context), "text/html")
    return message


def _render(name: str, context: dict[str, Any]) -> str:
    return get_template(name, using="mail").render(context)
