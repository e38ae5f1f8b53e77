"""The schema as a generated client reads it: JSON from the schema endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def schema_file(db: None, tmp_path: Path) -> Path:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    path = tmp_path / "schema.json"
    path.write_bytes(response.content)
    return path
