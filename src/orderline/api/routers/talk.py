"""``/talk?store=ID``: talk to a lane from the browser (microphone over the lane websocket). Local assets only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(tags=["talk"])


@router.get("/talk", response_class=FileResponse, include_in_schema=False)
async def talk() -> FileResponse:
    """The page; it reads ``store`` from the query and the key from the URL fragment or an input."""
    return FileResponse(STATIC / "talk.html", media_type="text/html")
