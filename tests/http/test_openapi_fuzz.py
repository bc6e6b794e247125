"""Schemathesis over the OpenAPI document, against the live test server, with all its checks:
no 5xx; status codes, content types, headers and bodies as documented; input the document
refuses is refused; Allow headers right. Then a stateful run that follows the document's links
from each creation to the operations that take the created id, so that most operations meet
real rows instead of ending in 404.

One check is left out: `positive_data_acceptance` would also fail the refusals the contract
documents as `invalid` but no schema can express: a reference to a row that does not exist, a
CHECK rule spanning two fields, a quiz answered twice, an unknown upload type.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from tests.support.fake_ai import fake_ai_server
from tests.support.roles import set_role
from tests.support.server import start_server, stop_server

load_all_checks()
LEFT_OUT = {"positive_data_acceptance"}
ALL_CHECKS = [check for check in CHECKS.get_all() if getattr(check, "__name__", "") not in LEFT_OUT]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "20"))
SKIPPED = {
    # They would end the fuzzing session itself.
    ("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/me/sessions/{sessionId}"),
}
# DELETE /api/v1/me stays in: it erases only with the account's current password, which neither the
# document's examples nor generated strings are, so here it meets only refusals (403, 422).


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
                case.validate_response(response, checks=ALL_CHECKS, headers=headers)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {_summary(exc)}")
    return failures


def _stateful(base_url: str, token: str) -> list[str]:
    """Scenarios along the document's links, run by the schemathesis CLI as an outside client
    would (its engine copes with a server whose state moves on, which Hypothesis's own state
    machines report as flaky). Returns the failures."""
    command = [str(Path(sys.executable).parent / "schemathesis"), "run", f"{base_url}/api/openapi.json",
               "--phases", "stateful", "--checks", "all", "--exclude-checks", ",".join(sorted(LEFT_OUT)),
               "-n", str(STATEFUL_EXAMPLES), "--workers", "1", "--no-color", "--seed", "1",
               "-H", f"Authorization: Bearer {token}"]
    for _, path in SKIPPED:  # each the only operation on its path
        command += ["--exclude-path", path]
    with tempfile.TemporaryDirectory() as scratch:  # the CLI keeps a cache in its working directory
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=scratch)
    output = done.stdout + done.stderr
    return [] if done.returncode == 0 else [f"stateful:\n{output[-4000:]}"]


def _summary(exc: BaseException) -> str:
    """The failure names and the curl line to reproduce it."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines()]
    kinds = [line for line in lines if line.startswith("- ")]
    curl = next((line for line in lines if line.startswith("curl ")), "")
    return "; ".join(kinds) + (f" | {curl}" if curl else "") if kinds else text.strip()[:300]


@pytest.mark.timeout(900)
async def test_no_operation_answers_5xx_or_breaks_its_schema(settings):
    # With an AI endpoint and an embeddings model configured, so that AI chat and the similarity lists
    # answer instead of being `unavailable` (a 503), and a Stripe webhook secret, so that the webhook checks
    # signatures (the fuzzer's fail: 400) instead of saying it is not set up (503).
    async with fake_ai_server() as fake_ai:
        server = await start_server(dataclasses.replace(settings, ai_base_url=fake_ai.url,
                                                        ai_embedding_model="text-embedding-3-small",
                                                        stripe_webhook_secrets=("whsec_fuzz",)))
        try:
            account = await server.account()
            # A platform admin reaches every branch a permission check would otherwise cut short.
            await set_role(server, account, "admin")
            document = (await server.request("GET", "/api/openapi.json")).body
            failures = await asyncio.to_thread(_fuzz, document, server.url, account.access_token)
            failures += await asyncio.to_thread(_stateful, server.url, account.access_token)
        finally:
            await stop_server(server)
    assert not failures, "\n".join(failures)
