"""The plugin's pure parts: settings validation and how Overseerr's answers read in MediaNest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from medianest_overseerr import media
from medianest_overseerr.config import OverseerrSettings


@pytest.mark.parametrize(
    "secret",
    ["short", "Bearer 0123456789abcdefgh", "has a space 0123456789", "naïve-0123456789abcdef"],
)
def test_an_unusable_webhook_secret_is_refused(secret):
    with pytest.raises(ValidationError):
        OverseerrSettings(webhook_secret=secret)


def test_a_long_printable_secret_is_kept():
    secret = "k3y_" + "x" * 40
    assert OverseerrSettings(webhook_secret=secret).webhook_secret.get_secret_value() == secret


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (None, "none"),
        ({"status": 1}, "none"),
        ({"status": 2}, "pending"),
        ({"status": 3}, "requested"),
        ({"status": 4}, "partly"),
        ({"status": 5}, "available"),
        ({"status": 7}, "none"),
    ],
)
def test_availability_reads_overseerrs_media_status(info, expected):
    assert media.availability(info) == expected


def movie_request(status, media_status, **extra):
    return {
        "status": status,
        "type": "movie",
        "media": {"status": media_status, "status4k": 1},
        **extra,
    }


@pytest.mark.parametrize(
    ("overseerr_request", "expected"),
    [
        (movie_request(1, 2), "pending"),
        (movie_request(2, 3), "approved"),
        (movie_request(2, 5), "available"),
        (movie_request(3, 1), "declined"),
        (movie_request(4, 3), "failed"),
        (movie_request(5, 5), "available"),  # Seerr's COMPLETED
        (movie_request(2, 1, is4k=True, media={"status": 5, "status4k": 3}), "approved"),
    ],
)
def test_request_status_follows_the_request_then_its_media(overseerr_request, expected):
    assert media.request_status(overseerr_request) == expected


def show_request(asked, ready):
    seasons = [{"seasonNumber": n, "status": 5 if n in ready else 3} for n in range(1, 5)]
    return {
        "status": 2,
        "type": "tv",
        "seasons": [{"seasonNumber": n} for n in asked],
        "media": {"status": 4, "seasons": seasons},
    }


@pytest.mark.parametrize(
    ("asked", "ready", "expected"),
    [([1, 2], [1, 2, 3], "available"), ([2, 3], [3], "partly"), ([3, 4], [1], "approved")],
)
def test_a_show_partly_in_plex_is_judged_by_the_seasons_asked_for(asked, ready, expected):
    assert media.request_status(show_request(asked, ready)) == expected


@pytest.mark.parametrize(
    "path",
    [None, "", "/../x.jpg", "/a/b.jpg", "/x.svg", "https://image.tmdb.org/x.jpg", "/x.jpg?y"],
)
def test_only_tmdb_poster_paths_become_proxy_urls(path):
    assert media.poster_url(path) is None


def test_a_search_result_reads_movies_and_shows_and_skips_people():
    movie = {
        "id": 1,
        "mediaType": "movie",
        "title": "A",
        "releaseDate": "2001-02-03",
        "posterPath": "/p.jpg",
    }
    show = {"id": 2, "mediaType": "tv", "name": "B", "firstAirDate": "", "mediaInfo": {"status": 5}}
    assert media.search_item(movie) == {
        "tmdb_id": 1,
        "type": "movie",
        "title": "A",
        "year": 2001,
        "overview": "",
        "poster": "/api/overseerr/poster/w300_and_h450_face/p.jpg",
        "availability": "none",
    }
    assert (
        media.search_item(show)["year"] is None
        and media.search_item(show)["availability"] == "available"
    )
    assert media.search_item({"id": 3, "mediaType": "person", "name": "C"}) is None
