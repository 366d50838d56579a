"""The entry page and choosing a role."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from campusdesk_common.vocabulary import ROLE_LABELS, ROLES
from web_gateway.dependencies import CsrfDep
from web_gateway.errors import PageError
from web_gateway.security import ROLE_COOKIE, ROLE_COOKIE_MAX_AGE
from web_gateway.templating import render, see_other

router = APIRouter()

HOME = {"user": "/tickets/new", "helpdesk": "/tickets"}
REPORT_PATH = re.compile(r"/report(\?room=[A-Za-z0-9._-]{1,32})?")


@router.get("/")
async def entry(request: Request) -> Response:
    """Choose how to use CampusDesk: as a simple user or as helpdesk staff."""
    return render(request, "entry.html", {})


@router.post("/role", dependencies=[CsrfDep])
async def choose_role(
    request: Request, role: Annotated[str, Form()] = "", next_url: Annotated[str, Form(alias="next")] = ""
) -> Response:
    """Remember the chosen role in a cookie and go to that role's home page (or the QR report it came from)."""
    if role not in ROLES:
        raise PageError(422, "Unknown role", "Choose “{}” or “{}”.".format(*ROLE_LABELS.values()))
    # Only a report address is followed: never another site, never any other page.
    response = see_other(next_url if REPORT_PATH.fullmatch(next_url) else HOME[role])
    response.set_cookie(
        ROLE_COOKIE,
        role,
        max_age=ROLE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response
