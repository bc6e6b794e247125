"""Schemathesis over the OpenAPI document, against the live test server: no 5xx, and every
answer matches the status codes, content types and schemas the document declares."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.fake_ai import fake_ai_server
from tests.support.roles import set_role
from tests.support.server import start_server, stop_server

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SKIPPED = {
    # They would end the fuzzing session itself.
    ("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/me/sessions/{sessionId}"),
}


def _fuzz(document: dict, base_url: str, token: str) -> list[str]:
    """Run every operation's strategy in both modes; returns what failed, one line each."""
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case) -> None:
                response = case.call(base_url=base_url, session=session, headers=headers, timeout=10)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {_summary(exc)}")
    return failures


def _summary(exc: BaseException) -> str:
    """The failure names and the curl line to reproduce it."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines()]
    kinds = [line for line in lines if line.startswith("- ")]
    curl = next((line for line in lines if line.startswith("curl ")), "")
    return "; ".join(kinds) + (f" | {curl}" if curl else "") if kinds else text.strip()[:300]


async def test_no_operation_answers_5xx_or_breaks_its_schema(settings):
    # With an AI endpoint configured, so that AI chat answers instead of being `unavailable` (a 503).
    async with fake_ai_server() as fake_ai:
        server = await start_server(dataclasses.replace(settings, ai_base_url=fake_ai.url))
        try:
            account = await server.account()
            # A platform admin reaches every branch a permission check would otherwise cut short.
            await set_role(server, account, "admin")
            document = (await server.request("GET", "/api/openapi.json")).body
            failures = await asyncio.to_thread(_fuzz, document, server.url, account.access_token)
        finally:
            await stop_server(server)
    assert not failures, "\n".join(failures)
