"""Entry point of ``make load`` (``python -m bench.reliability_load``), kept so the command stays
as documented; the test itself is the bench/reliability package (its runner holds ``main``)."""

from __future__ import annotations

import sys

from bench.reliability.runner import main

if __name__ == "__main__":
    sys.exit(main())
