"""What every dashboard route shares: templates, the signed-in user, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from orderline.api.dashboard import login
from orderline.api.deps import Services
from orderline.engine.engine import UnknownStoreError
from orderline.storage.keys import Role

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def secret(request: Request) -> str:
    return services(request).engine.settings.secret_key.get_secret_value()


def signed_in(request: Request, store: str, role: Role = Role.CREW) -> login.DashUser:
    """The user for ``store`` with at least ``role``.

    Raises:
        UnknownStoreError: no such store.
        login.NotSignedInError / login.ForbiddenError: see :func:`login.current`.
    """
    services(request).engine.store(store)
    user = login.current(request, secret(request), store)
    if not user.can(role):
        raise login.ForbiddenError(f"this needs a {role.value} sign-in")
    return user


def posted(request: Request, store: str, csrf: str | None, role: Role = Role.CREW) -> login.DashUser:
    """A state-changing request: signed in for ``store`` with ``role``, carrying the form's CSRF token."""
    user = signed_in(request, store, role)
    login.check_csrf(secret(request), user, csrf or request.headers.get("x-csrf-token"))
    return user


def page(request: Request, name: str, user: login.DashUser | None, **context: Any) -> HTMLResponse:
    ctx: dict[str, Any] = {"user": user, "store": user.store if user else context.get("store", "")}
    if user is not None:
        ctx["csrf"] = login.csrf_token(secret(request), user)
        ctx["store_name"] = services(request).engine.store(user.store).name
        ctx["is_manager"] = user.can(Role.MANAGER)
    ctx.update(context)
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=context.get("status", 200))


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def install(app: FastAPI) -> None:
    """Error pages: a missing sign-in redirects; a wrong store, role or CSRF token is refused (403)."""

    def _error(request: Request, status: int, title: str, message: str) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"user": None, "title": title, "message": message, "store": ""},
            status_code=status,
        )

    @app.exception_handler(login.NotSignedInError)
    async def _sign_in(request: Request, exc: login.NotSignedInError) -> Response:
        store = request.path_params.get("store", "")
        target = f"/dashboard/login?store={quote(store)}&next={quote(request.url.path)}"
        if request.method != "GET" or request.headers.get("accept", "").startswith("text/event-stream"):
            return _error(request, 401, "Signed out", "Sign in again to continue.")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(login.ForbiddenError)
    async def _forbidden(request: Request, exc: login.ForbiddenError) -> Response:
        return _error(request, 403, "Not allowed", str(exc) or "Your sign-in does not allow this.")

    @app.exception_handler(login.CsrfError)
    async def _csrf(request: Request, exc: login.CsrfError) -> Response:
        return _error(
            request, 403, "Form expired", "This form is missing its security token; reload and try again."
        )

    @app.exception_handler(UnknownStoreError)
    async def _no_store(request: Request, exc: UnknownStoreError) -> Response:
        if request.url.path.startswith("/dashboard"):
            return _error(request, 404, "No such store", f"There is no store {exc}.")
        from orderline.api.errors import error_response

        return error_response(404, "unknown_store", f"no store {exc}")
