"""The reliability load test (``make load``, run as ``python -m bench.reliability_load``),
split by concern so that each part reads on its own:

- ``checks``: the records of a run and the pure checks on them (tested without a server).
- ``people``: the editors who write and the ids the reads pick from, read from the database.
- ``traffic``: the HTTP client, the mix of operations and the fixed-rate schedule that drives it.
- ``sweeps``: the SMTP sink and the pairs of reminder sweeps run beside the load.
- ``readback``: what the database holds afterwards, for the checks.
- ``runner``: ``main``, which starts the services, runs it all and prints the report.
"""
