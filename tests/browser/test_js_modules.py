"""The small ES modules, exercised in the browser they run in.

Each test opens the (public) sign-in page for its origin and cookie jar, then imports the
module it checks; API answers are stood in for with Playwright's routing.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(90)

OK = json.dumps({"success": True, "data": {"saved": True}, "meta": {}})


@pytest.fixture
def on_site(shared_server, page):
    page.goto(f"{shared_server.url}/login")
    return shared_server


def test_unsafe_requests_echo_the_csrf_cookie_and_safe_ones_do_not(on_site, page):
    seen = {}

    def record(route):
        seen[route.request.method] = route.request.headers
        route.fulfill(content_type="application/json", body=OK)

    page.route("**/api/echo", record)
    result = page.evaluate(
        """async () => {
            document.cookie = "csrf_token=token-123; path=/";
            const { request } = await import("/static/web/js/api.js");
            const put = await request("PUT", "/api/echo", { a: 1 });
            await request("GET", "/api/echo");
            return put;
        }"""
    )
    assert result == {"saved": True}
    assert seen["PUT"]["x-csrf-token"] == "token-123"
    assert seen["PUT"]["content-type"] == "application/json"
    assert "x-csrf-token" not in seen["GET"]


def test_error_envelopes_become_api_errors(on_site, page):
    body = {
        "success": False,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Nope",
            "details": {"fields": {"url": "Bad URL"}},
        },
    }
    page.route(
        "**/api/fail",
        lambda route: route.fulfill(
            status=422, content_type="application/json", body=json.dumps(body)
        ),
    )
    error = page.evaluate(
        """async () => {
            const { request } = await import("/static/web/js/api.js");
            try { await request("POST", "/api/fail", {}); return null; }
            catch (e) {
                return { name: e.name, status: e.status, code: e.code, message: e.message,
                         fields: e.fields };
            }
        }"""
    )
    assert error == {
        "name": "ApiError",
        "status": 422,
        "code": "VALIDATION_ERROR",
        "message": "Nope",
        "fields": {"url": "Bad URL"},
    }


def test_rate_limit_carries_the_retry_time(on_site, page):
    body = {
        "success": False,
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "Slow down",
            "details": {"limit": 5, "window": 60},
        },
    }
    page.route(
        "**/api/busy",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "17"},
            content_type="application/json",
            body=json.dumps(body),
        ),
    )
    retry = page.evaluate(
        """async () => {
            const { request } = await import("/static/web/js/api.js");
            try { await request("GET", "/api/busy"); } catch (e) { return e.retryAfter; }
        }"""
    )
    assert retry == 17


def test_unauthenticated_answer_sends_the_browser_to_sign_in(on_site, page):
    body = {
        "success": False,
        "error": {"code": "UNAUTHENTICATED", "message": "Sign in first", "details": {}},
    }
    page.route(
        "**/api/private",
        lambda route: route.fulfill(
            status=401, content_type="application/json", body=json.dumps(body)
        ),
    )
    page.evaluate(
        """async () => {
            history.replaceState(null, "", "/admin/users?tab=1");
            const { request } = await import("/static/web/js/api.js");
            request("GET", "/api/private").catch(() => {});
        }"""
    )
    page.wait_for_url(f"{on_site.url}/login?next=%2Fadmin%2Fusers%3Ftab%3D1")


def test_network_failure_is_an_api_error_too(on_site, page):
    page.route("**/api/down", lambda route: route.abort())
    code = page.evaluate(
        """async () => {
            const { request } = await import("/static/web/js/api.js");
            try { await request("GET", "/api/down"); } catch (e) { return [e.status, e.code]; }
        }"""
    )
    assert code == [0, "NETWORK_ERROR"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin", "/admin"),
        ("//evil.example", "/"),
        ("/\\\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("/password", "/"),
    ],
)
def test_safe_next_agrees_with_the_server(on_site, page, target, expected):
    from medianest_web.navigation import safe_next

    in_browser = page.evaluate(
        "async (target) => (await import('/static/web/js/api.js')).safeNext(target)", target
    )
    assert in_browser == expected == safe_next(target)


def test_reconnect_backoff_grows_is_capped_and_jittered(on_site, page):
    delays = page.evaluate(
        """async () => {
            const { backoffDelay } = await import("/static/web/js/ws.js");
            const options = { minDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0.5 };
            const low = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, options, () => 0));
            const high = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, options, () => 1));
            return { low, high };
        }"""
    )
    assert delays["high"] == [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert delays["low"] == [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]


def test_live_socket_reconnects_after_a_drop_and_dispatches_events(on_site, page):
    connections = []

    def accept(ws):
        connections.append(ws)
        if len(connections) == 1:
            ws.close(code=1011)  # the first connection drops at once
        else:
            ws.send(
                json.dumps(
                    {"event": "service:status", "data": {"service": "plex", "status": "online"}}
                )
            )

    page.route_web_socket("**/ws/test", accept)
    received = page.evaluate(
        """async () => {
            const { LiveSocket } = await import("/static/web/js/ws.js");
            const socket = new LiveSocket("/ws/test", { minDelay: 50, maxDelay: 100 });
            const states = [];
            socket.addEventListener("state", (e) => states.push(e.detail.state));
            const data = await new Promise((resolve) => {
                socket.on("service:status", resolve);
                socket.start();
            });
            socket.stop();
            return { data, states };
        }"""
    )
    assert received["data"] == {"service": "plex", "status": "online"}
    states = received["states"]
    assert states[0] == "connecting"
    last_open = len(states) - 1 - states[::-1].index("open")
    assert states.index("reconnecting") < last_open  # it came back after the drop
    assert len(connections) == 2


def test_unauthenticated_socket_close_sends_the_browser_to_sign_in(on_site, page):
    page.route_web_socket("**/ws/test", lambda ws: ws.close(code=4401))
    page.evaluate(
        """async () => {
            history.replaceState(null, "", "/admin");
            const { LiveSocket } = await import("/static/web/js/ws.js");
            new LiveSocket("/ws/test").start();
        }"""
    )
    page.wait_for_url(f"{on_site.url}/login?next=%2Fadmin")


def test_toasts_are_announced_and_dismissable(on_site, page):
    page.evaluate(
        """async () => {
            const { toast } = await import("/static/web/js/toast.js");
            toast("<b>not markup</b>", { kind: "error", title: "Plex is offline", timeout: 0 });
        }"""
    )
    item = page.locator("#toasts .toast--error")
    assert item.get_attribute("role") == "alert"
    assert "<b>not markup</b>" in item.inner_text()
    assert page.locator("#toasts b").count() == 0
    item.get_by_role("button", name="Dismiss notification").click()
    assert page.locator("#toasts .toast").count() == 0
