"""Reading rendered pages the way the CSP will: what would run inline, what is styled inline."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageScan:
    inline_scripts: list[str] = field(default_factory=list)  # <script> with a body
    scripts_without_src: int = 0
    handler_attributes: list[str] = field(default_factory=list)  # on*= attributes
    style_attributes: list[str] = field(default_factory=list)  # style= attributes
    style_elements: int = 0  # <style> blocks
    asset_urls: list[str] = field(default_factory=list)  # script src, link href
    main_attributes: dict[str, str] = field(default_factory=dict)

    @property
    def csp_violations(self) -> list[str]:
        return [
            *(f"inline script: {body[:60]!r}" for body in self.inline_scripts),
            *(["<script> without src"] * self.scripts_without_src),
            *(f"handler attribute {name}" for name in self.handler_attributes),
            *(f"style attribute on <{tag}>" for tag in self.style_attributes),
            *(["<style> element"] * self.style_elements),
        ]


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._in_script = False
        self._script_body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        for name in attributes:
            if name.startswith("on"):
                self.scan.handler_attributes.append(f"{tag}.{name}")
            if name == "style":
                self.scan.style_attributes.append(tag)
        if tag == "script":
            self._in_script, self._script_body = True, []
            if "src" in attributes:
                self.scan.asset_urls.append(attributes["src"])
            else:
                self.scan.scripts_without_src += 1
        elif tag == "link" and "href" in attributes:
            self.scan.asset_urls.append(attributes["href"])
        elif tag == "style":
            self.scan.style_elements += 1
        elif tag == "main":
            self.scan.main_attributes = attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script:
            body = "".join(self._script_body).strip()
            if body:
                self.scan.inline_scripts.append(body)
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._script_body.append(data)


def scan_html(html: str) -> PageScan:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.scan
