"""Schemathesis fuzzes the live API against its own schema, in process (WSGI), as three people:
the branch's committee, an owner, and an outsider of a sibling branch. Every operation gets a
bounded number of generated requests with a fixed seed: no answer may be a server error, and
every answer must be one the schema documents, in the shape it documents."""

import datetime
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.models import ApiToken
from ledger import workflow
from tests.factories import MeetingFactory
from tests.test_one_writer import an_item

EXAMPLES_PER_OPERATION = 12
SEED = 20261202
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api_schema(db):
    """The live schema, as the API serves it."""
    document = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return schemathesis.openapi.from_dict(document)


@pytest.fixture
def wsgi_app(settings, api_schema):
    """Django's WSGI application, calling back into the test's transaction: Django's own test
    client unhooks the closing of connections at the end of a request in the same way (so no
    request through the test client may come after this, which would hook it again)."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.LEDGER_API_TOKEN_RATE = settings.LEDGER_API_USER_RATE = "100000/min"
    cache.clear()
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)
    # The throttles counted hundreds of requests for these people's ids: the next tests start afresh.
    cache.clear()


@pytest.fixture
def ledger_data(world, today):
    """Items in every state, a progress update with a file, an extension request, a meeting."""
    items = [an_item(world, status) for status in ("open", "in_progress", "submitted", "closed")]
    workflow.request_extension(
        world.owner, items[1], proposed_deadline=today + datetime.timedelta(days=90), reason="配件未到"
    )
    MeetingFactory(organization=world.branch)
    return items


@pytest.mark.parametrize("persona", ["committee", "owner", "outsider"])
def test_the_api_answers_every_generated_request_as_its_schema_says(
    world, ledger_data, api_schema, wsgi_app, persona
):
    _token, secret = ApiToken.issue(getattr(world, persona), "schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    schema = api_schema
    schema.app = wsgi_app
    failures = []
    answered = Counter()  # by class of status: 2 (2xx), 4 (4xx), 5 (5xx)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            answered[response.status_code // 100] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, FailureGroup) as error:  # collected: every operation's failures at once
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures[:10])
    # The fuzzing reached the data, not only the door: lists and items answered too.
    assert answered[2] > 10 and answered[4] > 10 and answered[5] == 0
