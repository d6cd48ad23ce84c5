"""API docs without a CDN: fastapi-offline serves Swagger UI and ReDoc from the package.

A KME often runs where its operators' browsers cannot reach the internet; FastAPI's own
/docs and /redoc pages load their scripts and styles from a CDN, so they stay blank.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import fastapi_offline
import pytest
from fastapi_offline import FastAPIOffline
from starlette.testclient import TestClient

STATIC = Path(fastapi_offline.__file__).parent / "static"
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9]", re.IGNORECASE)


class _References(HTMLParser):
    """Every URL a page loads by itself: scripts, style sheets, icons, images, specs."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "redoc": "spec-url"}
        for name, value in attrs:
            if name == wanted.get(tag) and value:
                self.urls.append(value)


def referenced_urls(html: str) -> list[str]:
    """The URLs of a docs page: its tags' and Swagger UI's ``url: '...'`` setting."""
    parser = _References()
    parser.feed(html)
    return parser.urls + re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", html)


def offline_app() -> TestClient:
    app = FastAPIOffline(title="offline KME", swagger_ui_parameters={"validatorUrl": None})

    @app.get("/api/v1/keys/{slave_SAE_ID}/status")
    async def status(slave_SAE_ID: str) -> dict[str, str]:
        return {"slave_SAE_ID": slave_SAE_ID}

    return TestClient(app)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_no_absolute_url(page):
    with offline_app() as client:
        answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert ABSOLUTE_URL.findall(answer.text) == []


@pytest.mark.parametrize(("page", "expected"), [
    ("/docs", {"/static-offline-docs/swagger-ui.css", "/static-offline-docs/favicon.png",
               "/static-offline-docs/swagger-ui-bundle.js", "/openapi.json"}),
    ("/redoc", {"/static-offline-docs/favicon.png", "/static-offline-docs/redoc.standalone.js",
                "/openapi.json"}),
])
def test_every_asset_of_the_docs_is_served_by_the_app(page, expected):
    with offline_app() as client:
        urls = referenced_urls(client.get(page).text)
        assert set(urls) == expected
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.content, url
            if url.startswith("/static-offline-docs/"):
                assert answer.content == (STATIC / url.rsplit("/", 1)[1]).read_bytes(), url


def test_assets_have_their_content_types():
    with offline_app() as client:
        types = {name: client.get(f"/static-offline-docs/{name}").headers["content-type"]
                 for name in ("swagger-ui-bundle.js", "redoc.standalone.js", "swagger-ui.css",
                              "favicon.png")}
    assert types["swagger-ui.css"].startswith("text/css")
    assert types["favicon.png"] == "image/png"
    for name in ("swagger-ui-bundle.js", "redoc.standalone.js"):
        assert "javascript" in types[name], name


def test_validator_badge_is_turned_off():
    """Swagger UI's default validatorUrl makes the browser fetch a badge image from an
    online validator for any spec not on localhost; ``None`` (JSON null) turns it off."""
    assert '"https://validator.swagger.io/validator"' in (
        STATIC / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    with offline_app() as client:
        html = client.get("/docs").text
    assert '"validatorUrl": null' in html


def test_openapi_lists_the_api_routes_but_not_the_docs():
    with offline_app() as client:
        paths = set(client.get("/openapi.json").json()["paths"])
    assert paths == {"/api/v1/keys/{slave_SAE_ID}/status"}
