"""Swagger UI works on an intranet: the docs page and everything it loads come from the server."""

from __future__ import annotations

import urllib.request
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.django_db


class AssetLinks(HTMLParser):
    """The URLs a page makes the browser load: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "img") and attributes.get("src"):
            self.urls.append(attributes["src"] or "")
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"] or "")


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_swagger_ui_loads_nothing_from_outside_the_server(live_server: Any) -> None:
    # given the docs page as a browser gets it
    status, page = fetch(f"{live_server.url}/api/v1/docs/")
    assert status == 200
    links = AssetLinks()
    links.feed(page.decode())
    # then it loads Swagger UI's script and stylesheet, all from this server
    assert any(url.endswith("swagger-ui-bundle.js") for url in links.urls), links.urls
    assert any(url.endswith("swagger-ui.css") for url in links.urls), links.urls
    for url in links.urls:
        absolute = urljoin(f"{live_server.url}/api/v1/docs/", url)
        assert urlsplit(absolute).netloc == urlsplit(live_server.url).netloc, url
        status, body = fetch(absolute)
        assert status == 200
        assert body, url
    for outside in (b"//cdn.", b"unpkg.com", b"jsdelivr"):
        assert outside not in page
