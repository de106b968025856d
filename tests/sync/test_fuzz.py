"""A bounded fuzz run: requests generated from the server's own OpenAPI document, valid and
invalid, authenticated as the manager, never get a 5xx (invariant 3).

Everything goes to 127.0.0.1. The budget (:data:`EXAMPLES` per operation and mode) keeps the
run to seconds; hypothesis keeps no example database between runs.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from shared.db import Database, open_database
from sync.server import SyncServer

from .support import FakeClock, find_people, token_for

EXAMPLES = 8
# Logging out would revoke the fuzzer's own token and leave every later request at 401.
SKIPPED_OPERATIONS = {"logout"}


@pytest.fixture(scope="module")
def fuzz_target(
    demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SyncServer, str]]:
    path = tmp_path_factory.mktemp("fuzz") / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    db: Database = open_database(path, create=False)
    server = SyncServer(db, host="127.0.0.1", port=0, mdns=False, clock=FakeClock())
    server.start()
    try:
        yield server, token_for(db, find_people(db).manager.staff_id)
    finally:
        server.stop()
        db.close()


def test_generated_requests_never_get_a_server_error(
    fuzz_target: tuple[SyncServer, str],
) -> None:
    server, token = fuzz_target
    base = server.urls[0]
    with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=5) as response:
        schema = schemathesis.openapi.from_dict(json.load(response))
    headers = {"Authorization": f"Bearer {token}"}
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in SKIPPED_OPERATIONS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=base, headers=headers, timeout=10)
                case.validate_response(response, checks=[not_a_server_error])

            try:
                call()
            except Unsatisfiable:
                # No parameters and no body: there is nothing invalid to make.
                assert mode is GenerationMode.NEGATIVE, operation.label
                continue
            tried += 1
    assert tried >= 30
