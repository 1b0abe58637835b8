"""Per-view request size limits. The app-wide ``MAX_CONTENT_LENGTH`` suits forms and task
attachments; a view that takes bigger files (a padrón import) declares its own with
``@upload_limit``, and the limit applies before anything — the CSRF check included — reads
the request body."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

View = TypeVar("View", bound=Callable[..., object])


def upload_limit(max_bytes: int) -> Callable[[View], View]:
    def mark(view: View) -> View:
        view.upload_limit = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def _apply_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "upload_limit", None)
    if limit is not None:
        request.max_content_length = limit


def init_app(app: Flask) -> None:
    """Register before the CSRF protection, so that its read of the form sees the limit."""
    app.before_request(_apply_limit)
