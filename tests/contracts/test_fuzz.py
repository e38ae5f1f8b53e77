"""Schema fuzzing, bounded: schemathesis generates requests for every operation of the OpenAPI
schema and checks each answer (no server error; status code, content type, headers and body
as documented), as an editor and as an anonymous caller. `make fuzz` runs the long version."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from initiatives.models import Agency
from initiatives.tokens import token_issue
from tests.factories import MembershipFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A few cases per operation in `make test`; `make fuzz` asks for many more (FUZZ_EXAMPLES).
BOUNDED = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_the_cases_include_negative_data_and_the_coverage_phase() -> None:
    # schemathesis' defaults, relied on here: each operation gets its schema's examples, the
    # coverage phase's boundary values and data that breaks the schema, then random cases.
    phases = schema.config.phases
    assert (phases.examples.enabled, phases.coverage.enabled, phases.fuzzing.enabled) == (
        True,
        True,
        True,
    )
    assert set(schema.config.generation.modes) == set(GenerationMode)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    # The WSGI app is called directly, so Django's request signals would close the test's own
    # database connection mid-transaction; the test client disconnects them the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_headers(db: None) -> dict[str, str]:
    call_command("loaddata", "seed", verbosity=0)
    editor = UserFactory(username="fuzz-editor")
    MembershipFactory(user=editor, agency=Agency.objects.get(short_name="MIIT"), role="editor")
    _, token = token_issue(user=editor, name="fuzz")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@BOUNDED
def test_every_operation_as_an_editor(case: Any, editor_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=editor_headers, checks=CHECKS)


@schema.parametrize()
@BOUNDED
@pytest.mark.django_db
def test_every_operation_anonymously(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
def test_linked_sequences_as_an_editor(editor_headers: dict[str, str]) -> None:
    # The stateful phase: sequences of calls that feed one answer's ids into the next request
    # (create a milestone, read it, complete it...), as a front-end does.
    called: list[str] = []

    class EditorWorkflow(schema.as_state_machine()):
        # Each sequence starts from the same data: what one created cannot change what the
        # next may do (hypothesis refuses data generation that depends on outside state).
        def setup(self) -> None:
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            called.append(f"{case.method} {case.path}")
            return {"headers": editor_headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    examples = int(os.environ.get("FUZZ_EXAMPLES", "3")) * 5
    EditorWorkflow.run(
        settings=settings(
            max_examples=examples,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # the schema's links lead somewhere: sequences of more than one call ran
    assert len(called) > examples
