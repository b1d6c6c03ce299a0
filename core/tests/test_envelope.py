"""Every response, success or failure, speaks the SPEC envelope and carries the security headers."""

from __future__ import annotations

import asyncio
import re

import pytest

from medianest.auth.policy import policy_of
from medianest.testing.relay import TcpRelay
from tests_support import everything_app

pytestmark = pytest.mark.asyncio


def assert_error(body: dict, code: str) -> None:
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


async def test_healthz_envelope_and_request_id(client):
    response = await client.get("/healthz")
    body = await response.get_json()
    assert response.status_code == 200
    assert body["success"] is True and body["data"] == {"status": "ok"}
    assert body["meta"]["version"] and body["meta"]["timestamp"]
    assert len(response.headers["X-Request-ID"]) >= 16


async def test_request_id_is_taken_from_the_request_when_sane(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"


async def test_readyz_checks_every_backend_in_use(client, backend):
    response = await client.get("/readyz")
    body = await response.get_json()
    assert response.status_code == 200
    expected = {"database"} if backend == "embedded" else {"database", "redis", "broker"}
    assert body["data"]["checks"] == {name: {"ok": True} for name in expected}


async def test_readyz_is_503_while_redis_is_unreachable(app_factory, redis_url, unique_prefix):
    relay = TcpRelay(redis_url)  # Redis as the app sees it: up at start, then gone
    await relay.open()
    app = await app_factory(redis_url=relay.url, redis_prefix=unique_prefix)
    await relay.cut()
    for _ in range(100):  # the event bus notices its lost subscription on its own time
        response = await app.test_client().get("/readyz")
        body = await response.get_json()
        if not body["data"]["checks"]["redis"]["ok"]:
            break
        await asyncio.sleep(0.1)
    assert response.status_code == 503
    assert body["data"]["status"] == "not ready"
    assert body["data"]["checks"]["database"] == {"ok": True}
    assert body["data"]["checks"]["redis"]["ok"] is False
    assert body["data"]["checks"]["broker"]["ok"] is False


@pytest.mark.parametrize("path", ["/healthz", "/nowhere"])
async def test_security_headers_on_success_and_error(client, path):
    response = await client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
        and "unsafe-inline" not in csp
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Server" not in response.headers or "hypercorn" not in response.headers["Server"].lower()


async def test_unknown_route_is_a_404_envelope(client):
    response = await client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert_error(await response.get_json(), "NOT_FOUND")


async def test_wrong_method_is_a_405_envelope(client):
    response = await client.delete("/healthz")
    assert response.status_code == 405
    assert_error(await response.get_json(), "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


async def test_malformed_json_is_a_400_envelope(app_factory):
    client = (await everything_app(app_factory)).test_client()
    response = await client.post(
        "/api/everything/echo",
        data=b'{"message": "hi",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert_error(await response.get_json(), "BAD_REQUEST")


async def test_non_json_body_is_a_415_envelope(app_factory):
    client = (await everything_app(app_factory)).test_client()
    response = await client.post(
        "/api/everything/echo", data=b"message=hi", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert_error(await response.get_json(), "UNSUPPORTED_MEDIA_TYPE")


async def test_validation_error_names_the_fields(app_factory):
    client = (await everything_app(app_factory)).test_client()
    response = await client.post("/api/everything/echo", json={"count": "many"})
    body = await response.get_json()
    assert response.status_code == 422
    assert_error(body, "VALIDATION_ERROR")
    assert set(body["error"]["details"]["fields"]) == {"message", "count"}


async def test_valid_body_passes(app_factory):
    client = (await everything_app(app_factory)).test_client()
    response = await client.post("/api/everything/echo", json={"message": "hi", "count": 2})
    assert response.status_code == 200
    assert (await response.get_json())["data"] == {"message": "hi", "count": 2}


async def test_oversized_body_is_a_413_envelope(app_factory):
    client = (await everything_app(app_factory, max_body_bytes=2048)).test_client()
    response = await client.post("/api/everything/echo", json={"message": "x" * 10_000})
    assert response.status_code == 413
    assert_error(await response.get_json(), "PAYLOAD_TOO_LARGE")


async def test_uncaught_exception_is_a_500_envelope_without_internals(app_factory):
    client = (await everything_app(app_factory)).test_client()
    response = await client.get("/api/everything/boom")
    text = (await response.get_data()).decode()
    assert response.status_code == 500
    assert_error(await response.get_json(), "INTERNAL_ERROR")
    assert "secret internal detail" not in text and "Traceback" not in text


async def test_openapi_document_is_valid_and_lists_every_route(app_factory):
    from openapi_spec_validator import validate

    app = await everything_app(app_factory)
    document = await (await app.test_client().get("/openapi.json")).get_json()
    validate(document)
    documented = {path for path in document["paths"]}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if (
            rule.websocket
            or rule.endpoint in ("static", "openapi")
            or getattr(view, "_quart_schema_hidden", False)
        ):
            continue  # websockets and HTML pages are not part of the JSON API
        path = rule.rule.replace("<", "{").replace(">", "}")
        path = __import__("re").sub(r"\{[^}:]+:([^}]+)\}", r"{\1}", path)
        assert path in documented, f"{rule.rule} missing from /openapi.json"
    assert "everything" in document["paths"]["/api/everything/hello"]["get"].get("tags", [])


# ---- an OpenAPI document that generated clients and fuzzers can use -----------------------------

BODILESS = {("post", "/api/auth/logout")}  # state changes that take no body


async def openapi_of(app_factory):
    app = await everything_app(app_factory)
    return app, await (await app.test_client().get("/openapi.json")).get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield path, method, operation


async def test_openapi_declares_the_session_with_its_csrf_header_and_bearer_tokens(app_factory):
    _app, document = await openapi_of(app_factory)
    schemes = document["components"]["securitySchemes"]
    assert schemes["session"] == {
        **schemes["session"],
        "type": "apiKey",
        "in": "cookie",
        "name": "medianest_session",
    }
    assert schemes["csrf"] == {
        **schemes["csrf"],
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
    }
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}


async def test_every_operation_says_who_may_call_it(app_factory):
    app, document = await openapi_of(app_factory)
    adapter = app.url_map.bind("localhost")
    for path, method, operation in operations(document):
        assert "security" in operation, (method, path)
        concrete = re.sub(
            r"\{request_id\}", "1", path
        )  # a service's numeric id; the rest are UUIDs
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", concrete)
        endpoint, _ = adapter.match(concrete, method=method.upper())
        public = policy_of(app.view_functions[endpoint]).kind == "public"
        if path == "/metrics":  # public unless a scrape token is set
            assert operation["security"] == [{}, {"metricsToken": []}]
            continue
        if public:
            assert operation["security"] == [], (method, path)
            continue
        session = {"session": []} if method == "get" else {"session": [], "csrf": []}
        assert operation["security"] == [session, {"bearer": []}], (method, path)
    signed_in = document["paths"]["/api/auth/tokens"]["post"]["security"]
    assert signed_in == [{"session": [], "csrf": []}, {"bearer": []}]
    assert document["paths"]["/api/auth/admin"]["post"]["security"] == []


async def test_path_parameters_are_typed_and_match_their_template(app_factory):
    _app, document = await openapi_of(app_factory)
    for path, method, operation in operations(document):
        declared = {
            p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"
        }
        assert set(declared) == set(re.findall(r"\{([^}]+)\}", path)), (method, path)
        for name, schema in declared.items():
            if schema.get("type") == "integer":  # a service's numeric id (a media request's)
                assert schema.get("minimum") == 0, (method, path, name)
            elif name.endswith("_id") and name != "library_id":
                assert schema == {"type": "string", "format": "uuid"}, (method, path, name)
            elif schema.get("type") == "string":  # one path segment: never empty, never a slash
                assert schema == {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}, (
                    method,
                    path,
                    name,
                )
    user = document["paths"]["/api/admin/users/{user_id}/tokens/{token_id}"]["delete"]
    assert [p["schema"].get("format") for p in user["parameters"]] == ["uuid", "uuid"]


async def test_every_state_change_documents_its_body(app_factory):
    _app, document = await openapi_of(app_factory)
    for path, method, operation in operations(document):
        if method in ("post", "put", "patch") and (method, path) not in BODILESS:
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            assert "schema" in body, f"{method.upper()} {path} has no request body schema"
