"""Stand-ins for plex.tv and a Plex Media Server: real HTTP servers on 127.0.0.1.

MediaNest's tests, its browser tests, `medianest demo` and plugin authors use these instead of
the real services. They speak the documented wire formats (XML by default, JSON with
`Accept: application/json`), with the same paths, headers, status codes and field names, and
python-plexapi works against them unchanged. Each is a small Quart app served by hypercorn
on an OS-chosen port.

Quick start
-----------
::

    from medianest_plex.testing import FakePlexServer, FakePlexTV

    async with FakePlexTV() as plextv, FakePlexServer(name="Home") as pms:
        owner = plextv.add_account("alice")
        friend = plextv.add_account("bob")
        plextv.add_server(pms, owner=owner)          # alice's token now owns the server
        movies = pms.add_section("Movies", "movie", items=100_000, location="/media/movies")
        shows = pms.add_section("TV Shows", "show", items=40)
        plextv.share_server(pms, friend, [movies])   # bob may see Movies only
        ...  # point the code under test at plextv.url and pms.url

    with FakePlexServer() as pms:                    # same object, served on a background
        PlexServer(pms.url, pms.owner_token)         # thread, for synchronous clients

`demo_household()` builds that whole picture in one call (used by demo mode).

Both stand-ins (`StandinServer`)
--------------------------------
- ``async with fake`` serves in the running loop; ``with fake`` serves on a daemon thread.
  ``fake.url`` is ``http://127.0.0.1:<port>`` while running. ``start()``/``stop()`` also exist.
  The port is chosen by the OS unless the constructor's ``port=`` names one (demo mode).
- ``fake.hang()``: every request waits unanswered until ``fake.recover()``; shutdown still
  completes (held requests are answered 503). ``fake.fail(status=500, times=None)``: answer
  ``status`` to every request (or the next ``times``). ``fake.recover()``: back to normal.
- ``fake.requests``: a list of ``RecordedRequest(method, path, query, headers)`` (header names
  lower-case, values kept, ``.token`` gives the Plex token sent); ``fake.requests_to(path,
  method=None)`` filters by exact path; ``fake.clear_requests()``.

FakePlexTV (plex.tv)
--------------------
``FakePlexTV(*, pin_lifetime=900.0, clock=time.time, port=0)``; the clock is injectable for
expiry tests.

Routes (v2 ones answer JSON or XML by ``Accept``; errors are
``{"errors": [{"code", "message", "status"}]}`` or ``<errors><error …/></errors>``):

- ``POST /api/v2/pins[?strong=true]`` → 201 ``{id, code, product, trusted, qr, clientIdentifier,
  location, expiresIn, createdAt, expiresAt, authToken: null, newRegistration}``. Needs
  ``X-Plex-Client-Identifier`` (header or query), else 400 "X-Plex-Client-Identifier is missing".
  A strong code has 25 characters, a plain one 4 (for plex.tv/link).
- ``GET /api/v2/pins/{id}`` → the PIN, ``authToken`` set once linked. 404 "Not Found or Expired"
  for an unknown or expired PIN or one created by another ``X-Plex-Client-Identifier``; 400
  without a client identifier.
- ``PUT /api/v2/pins/link`` (form ``code``, ``X-Plex-Token``) → 204: links the code to the
  token's account (python-plexapi ``MyPlexAccount.link``); 401 bad token, 404 unknown code.
- ``GET /api/v2/user`` (``X-Plex-Token``) → the account (``id, uuid, username, title, email,
  thumb, authToken, home, homeAdmin, guest, subscription{…}, profile{…}, roles, entitlements``…);
  401 for an unknown or revoked token.
- ``GET /api/v2/resources`` → the servers the token reaches: ``clientIdentifier`` (= the server's
  ``machineIdentifier``), ``provides: "server"``, ``owned``, ``ownerId``, ``sourceTitle``,
  ``accessToken`` (the owner's account token for an owned server; the per-share server token
  for a shared one) and ``connections[{protocol, address, port, uri, local, relay, IPv6}]``.
- ``GET /api/users`` (v1, XML only) → the token's friends: ``<User id username email …>`` with
  ``<Server machineIdentifier numLibraries allLibraries …>`` per shared server.
- ``GET /api/servers/{machineIdentifier}/shared_servers`` (v1, XML only, owner) →
  ``<SharedServer userID accessToken …><Section id title shared/></SharedServer>``.
- ``GET /users/account.json`` (``{"user": {…}}``) and ``/users/account`` (XML): the legacy form.
- ``GET /users/{uuid}/avatar``: a PNG. ``GET|POST /link``: a plain HTML form where a person
  picks an account and enters a code (the stand-in's plex.tv/link, for demo and browser tests).

Control: ``add_account(username, *, email=None, token=None, home=False, title=None) ->
PlexAccount``; ``account_for(token)``; ``revoke_token(token)``; ``pins`` (id → ``Pin``),
``pin(id)``, ``pin_by_code(code)``; ``link_pin(pin_id | code | Pin, account)`` (what the person
does on plex.tv/link); ``expire_pin(pin_id)``; ``add_server(pms, owner)`` (sets the server's owner
token to the owner's account token); ``share_server(pms, account, sections) -> access token``;
``unshare_server(pms, account)``; ``shares`` (list of ``ServerShare``).

FakePlexServer (Plex Media Server)
----------------------------------
``FakePlexServer(*, name="MediaNest Plex", owner_token=None, owner_username="owner",
machine_identifier=None, version=PMS_VERSION, scan_delay=0.0, port=0)``.

Every route but ``/identity`` needs ``X-Plex-Token`` (header or query): the owner token sees all
sections, a shared token only its sections (others answer 404 as if absent), anything else 401.
Only the owner may change things (collections, scans); a shared token gets 401 there.
Lists are ``MediaContainer``\\ s: XML elements ``Directory``/``Video``/``Track``, or JSON
``{"MediaContainer": {…, "Directory": […]}}`` (sections) / ``"Metadata": […]`` (items), with
typed numbers and booleans in JSON and ``ratingKey``/``key`` as strings.

- ``GET /identity`` → ``machineIdentifier``, ``version``, ``claimed`` (no token needed).
- ``GET /``, ``GET /library``: the server and library roots.
- ``GET /library/sections`` → ``Directory[key, type, title, agent, scanner, language, uuid,
  refreshing, updatedAt, createdAt, scannedAt, thumb, art, Location[id, path]]``.
- ``GET /library/sections/{id}/all`` → the section's items. Paging with
  ``X-Plex-Container-Start``/``X-Plex-Container-Size`` as headers or query parameters: the
  container then carries ``size``, ``totalSize``, ``offset`` and the response the headers
  ``X-Plex-Container-Start`` and ``X-Plex-Container-Total-Size``; without paging everything is
  returned (streamed). ``type=N`` (1 movie, 2 show, 3 season, 4 episode, 8 artist, 9 album,
  10 track, 18 collection), ``sort=field[:asc|desc]`` (``titleSort``/``title``, ``addedAt``/
  ``updatedAt``, ``year``/``originallyAvailableAt``; a ``movie.`` prefix is accepted; unknown →
  400), ``title=`` (case-insensitive substring), ``limit=``, ``includeMeta=1`` (the ``<Meta>``
  python-plexapi validates sorts against). Default order: ``titleSort``. ``sort`` and ``title``
  apply to top-level items; seasons, episodes, albums and tracks (``type=3/4/9/10``) come in
  library order.
- ``GET /library/sections/{id}/collections`` (also ``/all?type=18``) → ``Directory
  type="collection"`` with ``ratingKey, key=/library/collections/{id}/children, title, subtype,
  childCount, smart``.
- ``GET /library/sections/{id}/recentlyAdded``, ``GET /library/recentlyAdded`` (top-level items of
  visible sections, newest first, 50 unless paged).
- ``GET|POST /library/sections/{id}/refresh[?path=…&force=1]`` → 200, empty: recorded in
  ``scans`` and run (at once, or after ``scan_delay`` seconds with ``refreshing`` true
  meanwhile); ``DELETE`` cancels. A scan indexes media files under ``path`` (or every location)
  that lie inside the section's locations: files staged with ``stage_file`` and real files on
  disk. Items found have ``Media/Part/file`` set to the file path.
- ``GET /library/metadata/{ratingKey}[,{ratingKey}…]`` (items and collections, with
  ``librarySectionID`` and ``Collection`` tags), ``/library/metadata/{id}/children``,
  ``/library/metadata/{id}/allLeaves``,
  ``DELETE /library/metadata/{collection id}``.
- ``POST /library/collections?type=&title=&smart=0&sectionId=&uri=server://{machineIdentifier}/
  com.plexapp.plugins.library/library/metadata/{ids}`` → a container whose first child is the new
  collection. 400 for a missing title, unknown section, malformed uri or another server's uri,
  and for ``smart=1`` (not supported here); unknown ids are skipped.
- ``GET /library/collections/{id}``, ``GET /library/collections/{id}/children`` (or ``/items``),
  ``PUT /library/collections/{id}/items?uri=…``, ``DELETE /library/collections/{id}/items/{item}``,
  ``DELETE /library/collections/{id}``.
- Images (real PNGs, one colour per item): ``/library/metadata/{id}/thumb/{n}``, ``…/art/{n}``,
  ``/library/collections/{id}/composite/{n}``, ``/:/resources/{name}`` and
  ``/photo/:/transcode?url=<one of those>&width=&height=`` (400 without ``url`` or with a size
  over 2000, 404 for an unknown or invisible image).

Control: ``add_section(title, type="movie", items=0 | [titles], *, location=None) -> Section``
(``items=N`` makes N virtual items whose every field is a function of their index, so 100,000
cost nothing until a page is requested; shows get 2 seasons × 3 episodes and artists 2 albums ×
4 tracks); ``section(id | title)``, ``sections``; ``add_file_item(section, path, title=None) ->
MediaItem`` (appears at once); ``stage_file(section, path, title=None)`` (appears after a scan
covering it); ``item(ratingKey)``; ``items(section)`` (lazy, title order); ``collections``,
``collection(title)``; ``share(sections, with_token=None) -> token``; ``unshare(token)``;
``owner_token``, ``machine_identifier``; ``scans`` (list of ``ScanRequest(section_id, path,
force, method)``).

Known simplifications: no smart collections, playlists, hubs, play state or websockets; only the
first of several ``sort`` fields decides the order; ``recentlyAdded`` lists top-level items
rather than seasons/albums; v1 plex.tv endpoints answer XML only.
"""

from __future__ import annotations

from dataclasses import dataclass

from medianest_plex.testing._catalog import Collection, MediaItem, Section
from medianest_plex.testing._server import RecordedRequest, StandinServer
from medianest_plex.testing.plextv import FakePlexTV, Pin, PlexAccount, ServerShare
from medianest_plex.testing.pms import PMS_VERSION, FakePlexServer, ScanRequest


@dataclass
class PlexHousehold:
    """A ready-made household: plex.tv, one server and three people (see `demo_household`)."""

    plextv: FakePlexTV
    server: FakePlexServer
    owner: PlexAccount
    friend: PlexAccount
    stranger: PlexAccount
    movies: Section
    shows: Section
    music: Section
    videos: Section
    friend_token: str


def demo_household(
    *, media_root: str = "/data", videos_location: str | None = None
) -> PlexHousehold:
    """plex.tv with an owner, a friend (shared Movies and TV Shows) and a stranger (no access),
    and a server with Movies (250), TV Shows (40), Music (30) and an empty "YouTube" movie
    library at `videos_location` (default `<media_root>/youtube`) for downloads to land in.

    Neither server is started: use ``async with household.plextv, household.server:``.
    """
    plextv, server = FakePlexTV(), FakePlexServer(name="MediaNest Demo")
    owner = plextv.add_account("owner", title="Olivia Owner")
    friend = plextv.add_account("friend", title="Frank Friend")
    stranger = plextv.add_account("stranger", title="Sam Stranger")
    plextv.add_server(server, owner)
    movies = server.add_section("Movies", "movie", items=250, location=f"{media_root}/movies")
    shows = server.add_section("TV Shows", "show", items=40, location=f"{media_root}/tv")
    music = server.add_section("Music", "artist", items=30, location=f"{media_root}/music")
    videos = server.add_section(
        "YouTube", "movie", location=videos_location or f"{media_root}/youtube"
    )
    friend_token = plextv.share_server(server, friend, [movies, shows])
    return PlexHousehold(
        plextv, server, owner, friend, stranger, movies, shows, music, videos, friend_token
    )


__all__ = [
    "PMS_VERSION",
    "Collection",
    "FakePlexServer",
    "FakePlexTV",
    "MediaItem",
    "Pin",
    "PlexAccount",
    "PlexHousehold",
    "RecordedRequest",
    "ScanRequest",
    "Section",
    "ServerShare",
    "StandinServer",
    "demo_household",
]
