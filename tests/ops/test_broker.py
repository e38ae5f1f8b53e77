"""The Celery app reaches a real Redis broker when CELERY_BROKER_URL says so."""

from __future__ import annotations

from tests.helpers import run_python


def test_celery_app_connects_to_the_configured_redis_broker(redis_url: str) -> None:
    code = (
        "from config import celery_app; "
        "conn = celery_app.connection_for_write(); conn.ensure_connection(max_retries=1); "
        "print(conn.as_uri(), conn.connected)"
    )
    result = run_python(code, {"DEBUG": "true", "CELERY_BROKER_URL": redis_url})
    assert result.returncode == 0, result.stderr
    uri, connected = result.stdout.split()
    assert uri.startswith("redis://")
    assert connected == "True"
