"""Who may use the pages: a random token in the URL once, then a session cookie; a CSRF token on every write.

The server binds 127.0.0.1 only, but any page the researcher's browser opens can send
requests there. So every request needs the token ``qualcode serve`` printed (in the URL,
as Jupyter does; after that the session cookie carries it), and every POST needs the
session's CSRF token. Requests whose Host is not the local machine are refused too
(DNS rebinding).
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import abort, redirect, request, session
from werkzeug.wrappers import Response

LOCAL_HOSTS = ("127.0.0.1", "localhost")
TOKEN_PARAM = "token"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def check_request(server_token: str) -> Response | None:
    """Run before every request: 403 without the token, a redirect that drops it from the URL after the first."""
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    if host not in LOCAL_HOSTS:
        abort(403)
    given = request.args.get(TOKEN_PARAM)
    if given is not None:
        if not _same(given, server_token):
            abort(403)
        session.clear()
        session["token"] = server_token
        session["csrf"] = new_token()
        if request.method == "GET":  # the token leaves the address bar (and the history)
            query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM])
            path = request.path if request.path.startswith("/") and not request.path.startswith("//") else "/"
            return redirect(path + (f"?{query}" if query else ""))
    elif not _same(session.get("token"), server_token):
        abort(403)
    if request.method not in ("GET", "HEAD") and not _same(
            request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER), session.get("csrf")):
        abort(403)
    return None


def csrf_token() -> str:
    """The session's CSRF token, for every form of a page."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = new_token()
    return str(token)
