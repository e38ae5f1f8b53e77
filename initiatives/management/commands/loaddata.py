"""Django's ``loaddata``, writing the audit history's baseline of every record it loads.

A fixture is saved raw, and simple-history writes no history for a raw save. Without a
baseline, the first change to a loaded record had no earlier version to compare with, and its
history showed no old or new values. So every record of a history-tracked model that a load
writes gets one history row, in the load's transaction: a creation (``+``) for a record without
history, a change (``~``) for one the load overwrote. The seed (``manage.py load_seed``) and any
later fixture import go through here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.management.commands import loaddata
from django.db import models, transaction
from django.db.models.signals import post_save
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_app_model_primary_key_name, get_history_manager_for_model


class Command(loaddata.Command):
    help = loaddata.Command.help + " Each record loaded gets its baseline audit history row."

    def handle(self, *fixture_labels: str, **options: Any) -> None:
        loaded: dict[type[models.Model], set[Any]] = defaultdict(set)

        def note_raw_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
            if kwargs.get("raw"):
                loaded[sender].add(instance.pk)

        post_save.connect(note_raw_save, weak=False, dispatch_uid="loaddata-baseline-history")
        try:
            with transaction.atomic(using=options["database"]):
                super().handle(*fixture_labels, **options)
                reason = f"Baseline: loaded from the fixture {', '.join(fixture_labels)}"
                for model, pks in loaded.items():
                    write_baseline_history(model, pks, reason=reason)
        finally:
            post_save.disconnect(dispatch_uid="loaddata-baseline-history")


def write_baseline_history(model: type[models.Model], pks: set[Any], *, reason: str) -> None:
    """One history row for each record ``pks`` of ``model`` as it is stored now; nothing for a
    model without history."""
    try:
        history = get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return
    pk_name = get_app_model_primary_key_name(model)
    # The keys go as one parameter (``__any``), and the rows in batches: a server-bound
    # statement takes at most 65,535 parameters, and a fixture can hold more records.
    with_history = set(
        history.filter(**{f"{pk_name}__any": pks}).values_list(pk_name, flat=True).distinct()
    )
    records = list(model._base_manager.filter(pk__any=pks).order_by("pk"))
    for update in (False, True):
        history.bulk_history_create(
            [record for record in records if (record.pk in with_history) is update],
            batch_size=settings.BULK_BATCH_SIZE,
            update=update,
            default_change_reason=reason,
        )
