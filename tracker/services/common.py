"""Helpers the reminder services share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

# Why a send failed, or why a reminder reaches nobody, as the ledger keeps it.
MAX_ERROR_LENGTH = 2000


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (itertools.batched arrives only in Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
