"""A sample plugin with everything a plugin may show in the shell: a page, header links, its
own static files and a sign-in button. Imports only MediaNest's public API."""

from __future__ import annotations

from quart import Blueprint

from medianest.auth.policy import admin_only, signed_in
from medianest.plugins import AuthProvider, NavEntry, Permission, PluginSpec, hookimpl
from medianest.sdk.ui import login_url, render_page

plugin = PluginSpec(id="weather", title="Weather", description="Today's forecast, on a page")

pages = Blueprint("weather_pages", __name__)


@pages.get("/")
@signed_in
async def today():
    return await render_page(
        "weather/page.html", forecast="Rain at 3 pm", sign_in=login_url("/weather/")
    )


@pages.get("/archive")
@admin_only
async def archive():
    return await render_page("weather/page.html", forecast="Every day since 1990")


@pages.get("/broken")
@signed_in
async def broken():
    raise RuntimeError("the forecast model fell over")


@hookimpl
def register_pages():
    return [pages]


@hookimpl
def register_permissions():
    return [Permission("weather.radar", "See the rain radar", default_roles=())]


@hookimpl
def register_nav():
    return [
        NavEntry("Weather", "/weather/", "img/icons.svg#i-cloud", order=50),
        NavEntry("Radar", "/weather/", "grid", permission="weather.radar", order=60),
        NavEntry("Archive", "/weather/archive", "list", admin=True, order=70),
        NavEntry("Nowhere", "/weather-nowhere/", "grid", order=80),  # no page answers there
    ]


@hookimpl
def register_auth_providers():
    return [
        AuthProvider(
            id="weather", title="Sign in with Weather", sign_in_template="weather/sign_in.html"
        )
    ]
