"""Health, readiness, metrics, the OpenAPI document and its page, and unknown routes."""

from __future__ import annotations

from openapi_spec_validator import validate


async def test_health_and_readiness(server):
    assert (await server.request("GET", "/healthz")).body == {"status": "ok"}
    ready = await server.request("GET", "/readyz")
    assert ready.status == 200 and ready.body["checks"]["postgres"] == "ok"


async def test_readiness_fails_when_the_database_is_gone(server, postgres):
    from chatserver.http.api import SERVICES

    await server.app[SERVICES].db.pool.close()
    ready = await server.request("GET", "/readyz")
    assert ready.status == 503
    assert ready.body["checks"]["postgres"].startswith("failing")
    assert (await server.request("GET", "/healthz")).status == 200


async def test_metrics_count_requests(server):
    await server.request("GET", "/api/v1/me")
    metrics = await server.request("GET", "/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'chat_http_request_seconds_count{method="GET",route="/api/v1/me",status="401"}' in metrics.body


async def test_openapi_document_is_valid_and_lists_the_account_endpoints(server):
    document = (await server.request("GET", "/api/openapi.json")).body
    validate(document)
    assert document["openapi"].startswith("3.1")
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
                 "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm", "/api/v1/me",
                 "/api/v1/me/sessions", "/api/v1/me/sessions/{sessionId}", "/api/v1/users/{userId}"):
        assert path in document["paths"], path
    register = document["paths"]["/api/v1/auth/register"]["post"]
    body_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = document["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]
    assert set(body_schema["required"]) == {"email", "username", "password"}
    assert "409" in register["responses"] and register["security"] == []


async def test_docs_page_is_served(server):
    page = await server.request("GET", "/api/docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "/api/openapi.json" in page.body  # rendered by Swagger UI: tests/http/test_api_docs*.py


async def test_unknown_routes_and_methods_are_problems(server):
    missing = await server.request("GET", "/api/v1/no-such-thing")
    assert missing.status == 404 and missing.body["code"] == "not_found"
    wrong_method = await server.request("PUT", "/api/v1/auth/login", json={})
    assert wrong_method.status == 405 and wrong_method.body["status"] == 405
    assert "POST" in wrong_method.headers["Allow"]


async def test_every_response_carries_a_request_id(server):
    response = await server.request("GET", "/healthz", headers={"X-Request-Id": "abc123"})
    assert response.headers["X-Request-Id"] == "abc123"
    assert len((await server.request("GET", "/healthz")).headers["X-Request-Id"]) == 32


def test_readme_documents_every_setting():
    from pathlib import Path

    from chatserver.settings import Settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name, _, _ in Settings.documentation() if f"| `{name}` |" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"
