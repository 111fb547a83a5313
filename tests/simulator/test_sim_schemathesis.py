"""schemathesis against the simulator, generated from openapi.yaml: negative mode (every kind of
invalid input the document allows it to derive) and a little positive mode. No 5xx, ever (WIRE-02),
and every answer is JSON (WIRE-01)."""

from __future__ import annotations

import copy

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from simkit import ALPHA, Api

from conformance.spec.openapi import load_openapi

OPERATIONS = ["scheduleFirmwareUpgrade", "updateFirmwareUpgradeDevices", "listFirmwareUpgradeDetails",
              "cancelScheduledFirmwareUpgrade"]
EXAMPLES = {GenerationMode.NEGATIVE: 50, GenerationMode.POSITIVE: 15}

schema = schemathesis.openapi.from_dict(copy.deepcopy(load_openapi()))


@pytest.mark.parametrize("mode", [GenerationMode.NEGATIVE, GenerationMode.POSITIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_wire02_schemathesis_finds_no_server_error(api: Api, operation_id: str, mode: GenerationMode) -> None:
    operation = schema.find_operation_by_id(operation_id)
    seen: set[int] = set()
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=api.base_url, session=session, headers=dict(ALPHA), timeout=10)
        seen.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])
        assert response.headers["content-type"] == ["application/json"], response.status_code  # WIRE-01

    with session:
        run()
    assert seen and max(seen) < 500
