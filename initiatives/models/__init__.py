"""The domain: who leads what, what was announced, and how delivery is going.

Data rules live here as database constraints, so that no write path (admin, API, shell, a
migration) can store a row that breaks them. State changes that touch several rows live in
``initiatives.services``; derived read-only values live on the querysets and models.

One module per domain; every public name is importable from ``initiatives.models``.
"""

from initiatives.models.agencies import Agency, Membership
from initiatives.models.base import (
    Citation,
    TimestampedModel,
    VersionedModel,
    completion_date_errors,
)
from initiatives.models.indicators import Indicator, IndicatorReading
from initiatives.models.initiatives import (
    Initiative,
    InitiativeAgency,
    InitiativeQuerySet,
    InitiativeSource,
    Tag,
)
from initiatives.models.milestones import Milestone, MilestoneQuerySet
from initiatives.models.sources import Source
from initiatives.models.tokens import AccessToken, AccessTokenQuerySet
from initiatives.models.updates import ProgressUpdate

__all__ = [
    "AccessToken",
    "AccessTokenQuerySet",
    "Agency",
    "Citation",
    "Indicator",
    "IndicatorReading",
    "Initiative",
    "InitiativeAgency",
    "InitiativeQuerySet",
    "InitiativeSource",
    "Membership",
    "Milestone",
    "MilestoneQuerySet",
    "ProgressUpdate",
    "Source",
    "Tag",
    "TimestampedModel",
    "VersionedModel",
    "completion_date_errors",
]
