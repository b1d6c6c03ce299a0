"""Content-hashed asset URLs: a change anywhere in a module's imports changes its URL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import medianest_web
from medianest_web.assets import AssetManifest


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def static(tmp_path: Path) -> Path:
    write(tmp_path, "js/api.js", "export const answer = 42;\n")
    write(
        tmp_path,
        "js/page.js",
        'import { answer } from "./api.js";\nimport("./lazy.js");\nconsole.log(answer);\n',
    )
    write(tmp_path, "js/lazy.js", "export default 1;\n")
    write(tmp_path, "js/admin/users.js", "import { answer } from '../api.js';\n")
    write(tmp_path, "css/app.css", "body { color: black }\n")
    return tmp_path


def test_relative_imports_are_versioned(static):
    manifest = AssetManifest(static)
    page = manifest.get("js/page.js").body.decode()
    assert f'from "./api.js?v={manifest.get("js/api.js").digest}"' in page
    assert f'import("./lazy.js?v={manifest.get("js/lazy.js").digest}")' in page
    users = manifest.get("js/admin/users.js").body.decode()
    assert f"from '../api.js?v={manifest.get('js/api.js').digest}'" in users


def test_changing_a_dependency_changes_its_importers_url(static):
    before = AssetManifest(static)
    write(static, "js/api.js", "export const answer = 43;\n")
    after = AssetManifest(static)
    assert after.url("js/api.js") != before.url("js/api.js")
    assert after.url("js/page.js") != before.url("js/page.js")
    assert after.url("css/app.css") == before.url("css/app.css")


def test_imports_outside_the_folder_or_missing_are_left_alone(static):
    write(
        static,
        "js/odd.js",
        'import "../../secret.js";\nimport "./missing.js";\nimport "https://cdn.example/x.js";\n',
    )
    body = AssetManifest(static).get("js/odd.js").body.decode()
    assert (
        body
        == 'import "../../secret.js";\nimport "./missing.js";\nimport "https://cdn.example/x.js";\n'
    )


def test_import_cycles_terminate(static):
    write(static, "js/a.js", 'import "./b.js";\n')
    write(static, "js/b.js", 'import "./a.js";\n')
    manifest = AssetManifest(static)
    assert (
        "?v=" in manifest.get("js/a.js").body.decode()
        or "?v=" in manifest.get("js/b.js").body.decode()
    )


def test_url_of_an_unknown_asset_raises(static):
    with pytest.raises(KeyError):
        AssetManifest(static).url("js/nope.js")


def test_content_types(static):
    manifest = AssetManifest(static)
    assert manifest.get("js/api.js").content_type == "text/javascript; charset=utf-8"
    assert manifest.get("css/app.css").content_type == "text/css; charset=utf-8"


def test_shipped_files_load_nothing_from_other_hosts():
    """Offline on a LAN: no CDN and no remote fonts. The only absolute URLs are the SVG
    namespace, the plex.tv/link page a person opens to enter a sign-in code, and the
    example shown in an empty service URL field."""
    allowed = {"http://www.w3.org/2000/svg", "https://plex.tv/link", "http://192.168.1.10:32400"}
    root = Path(medianest_web.__file__).parent
    files = [*root.glob("static/**/*.*"), *root.glob("templates/**/*.html")]
    assert files
    for path in files:
        for url in re.findall(r"https?://[^\s\"'`)<>]+", path.read_text()):
            assert url in allowed, f"{path.relative_to(root)} refers to {url}"
