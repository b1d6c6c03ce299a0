"""`/metrics` is public by default (the shipped nginx keeps it inside), and protectable where the
app is exposed: a token (`MEDIANEST_METRICS_TOKEN`, sent as `Authorization: Bearer`) and/or an
address allow-list (`MEDIANEST_METRICS_ALLOW`, CIDRs); with both, either one admits."""

from __future__ import annotations

import pytest

from medianest.settings import SettingsError, load_settings

TOKEN = "scrape-token-for-the-tests-0123456789"
PROMETHEUS = {"client": ("10.1.2.3", 40000)}
ELSEWHERE = {"client": ("192.0.2.7", 40000)}


async def scrape(app, *, headers=None, scope=None):
    return await app.test_client().get("/metrics", headers=headers or {}, scope_base=scope)


async def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status
    body = await response.get_json()
    assert body["success"] is False and body["error"]["code"] == code
    assert "medianest_http_requests" not in await response.get_data(as_text=True)


async def test_without_settings_metrics_are_public(app):
    assert (await scrape(app)).status_code == 200


async def test_a_token_protects_metrics(app_factory):
    app = await app_factory(metrics_token=TOKEN)
    missing = await scrape(app)
    await assert_refused(missing, 401, "UNAUTHENTICATED")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    await assert_refused(
        await scrape(app, headers={"Authorization": "Bearer wrong"}), 401, "UNAUTHENTICATED"
    )
    await assert_refused(
        await scrape(app, headers={"Authorization": f"Basic {TOKEN}"}), 401, "UNAUTHENTICATED"
    )
    allowed = await scrape(app, headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and "medianest_http_requests" in await allowed.get_data(
        as_text=True
    )


async def test_an_allow_list_protects_metrics(app_factory):
    app = await app_factory(metrics_allow=["10.0.0.0/8", "::1/128"])
    assert (await scrape(app, scope=PROMETHEUS)).status_code == 200
    await assert_refused(await scrape(app, scope=ELSEWHERE), 403, "FORBIDDEN")
    # A forged X-Forwarded-For counts only from a trusted proxy.
    forged = await scrape(app, scope=ELSEWHERE, headers={"X-Forwarded-For": "10.1.2.3"})
    await assert_refused(forged, 403, "FORBIDDEN")


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(app_factory):
    app = await app_factory(metrics_allow=["10.0.0.0/8"], trusted_proxies=["192.0.2.0/24"])
    assert (
        await scrape(app, scope=ELSEWHERE, headers={"X-Forwarded-For": "10.1.2.3"})
    ).status_code == 200


async def test_with_both_either_admits(app_factory):
    app = await app_factory(metrics_token=TOKEN, metrics_allow=["10.0.0.0/8"])
    assert (await scrape(app, scope=PROMETHEUS)).status_code == 200
    assert (
        await scrape(app, scope=ELSEWHERE, headers={"Authorization": f"Bearer {TOKEN}"})
    ).status_code == 200
    await assert_refused(await scrape(app, scope=ELSEWHERE), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("value", ["not-a-network", "10.0.0.0/33"])
def test_a_bad_allow_list_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("MEDIANEST_METRICS_ALLOW", value)
    with pytest.raises(SettingsError, match="MEDIANEST_METRICS_ALLOW"):
        load_settings()
