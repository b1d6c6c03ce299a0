"""The page scanner itself must catch what the page tests rely on it to catch."""

from html_scan import scan_html


def test_scanner_finds_each_kind_of_inline_code():
    scan = scan_html(
        '<script>alert(1)</script><script src="/a.js"></script><button onclick="x()">b</button>'
        '<p style="color:red">p</p><style>p{}</style>'
    )
    assert scan.inline_scripts == ["alert(1)"]
    assert scan.scripts_without_src == 1
    assert scan.handler_attributes == ["button.onclick"]
    assert scan.style_attributes == ["p"]
    assert scan.style_elements == 1
    assert scan.asset_urls == ["/a.js"]


def test_scanner_passes_a_clean_page():
    scan = scan_html(
        '<link rel="stylesheet" href="/s.css"><script type="module" src="/m.js"></script><p '
        'class="x">ok</p>'
    )
    assert scan.csp_violations == []
    assert scan.asset_urls == ["/s.css", "/m.js"]
