"""The resident web chat page: GET / and its few static files, all from this origin (no CDN, no third party).

Every response carries headers that keep the page's traces small: no-store (no copy in the browser cache for
someone else to find), no-referrer (the sites a resident goes on to do not learn where they came from), and a
Content-Security-Policy that allows this origin's own files only.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from api.dependencies import ChatSettingsDep

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
# The only files served, with their types: a fixed list, so nothing else under api/ can be reached.
ASSETS = {
    "chat.css": "text/css; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
QUICK_EXIT_PLACEHOLDER = "__QUICK_EXIT_URL__"
SECURITY_HEADERS = {
    # No inline script or style, nothing from elsewhere; forms never submit by themselves (chat.js sends them),
    # so a message can never end up in a URL; no one may frame the page.
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

router = APIRouter(tags=["web chat"], include_in_schema=False)


@lru_cache(maxsize=1)
def page_template() -> str:
    """index.html, read on first use (not at import)."""
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def chat_page(settings: ChatSettingsDep) -> HTMLResponse:
    # The Quick exit target goes in a data- attribute: the page has no inline script for it to live in.
    page = page_template().replace(QUICK_EXIT_PLACEHOLDER, html.escape(str(settings.quick_exit_url), quote=True))
    return HTMLResponse(page, headers=SECURITY_HEADERS)


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status_code=404, detail="Not found.")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=SECURITY_HEADERS)
