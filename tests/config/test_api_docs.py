"""Swagger UI works on an intranet: the docs page and everything it loads come from the server."""

from __future__ import annotations

import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings

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


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_in_a_browser_cut_off_from_the_internet(
    browser: Any, live_server: Any
) -> None:
    # given a browser that may reach this server and nothing else
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    asked_outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith((live_server.url, "data:")):
            route.continue_()
        else:
            asked_outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    # when it opens the docs
    page.goto(f"{live_server.url}/api/v1/docs/")
    # then Swagger UI draws the API from the schema, with nothing asked of the internet
    page.wait_for_selector("text=Initiative Tracker API", timeout=30_000)
    page.wait_for_selector("text=/api/v1/initiatives/", timeout=30_000)
    screenshots = Path(settings.BASE_DIR) / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "api-docs.png"))
    page.close()
    assert asked_outside == []
