"""Who is calling: an API key in ``X-API-Key`` (or ``Authorization: Bearer``) gives a role.

Anonymous callers read public data. Partners and stronger roles also see sensitive incidents
where they happened. A write needs an editor key: no key gets 401, an unknown or revoked key
401, a key with too few rights 403, all as problem+json.

A response whose body depends on the key carries ``Vary: X-API-Key, Authorization``, and
when a key was used ``Cache-Control: private``, so no shared cache hands a partner's answer
to anyone else, nor the public answer to a partner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import update
from starlette.concurrency import run_in_threadpool

from api.errors import Problem
from db.audit import record
from db.keys import role_at_least, verify_key
from db.models import ApiKey


@dataclass(frozen=True)
class Caller:
    role: str
    key_prefix: str | None = None
    name: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_prefix}" if self.key_prefix else "anonymous"


ANONYMOUS = Caller(role="anonymous")

#: The weakest role that sees sensitive incidents at their true point (mine-action partners).
PRECISE_ROLE = "partner"
KEY_VARY = "X-API-Key, Authorization"
#: How fresh ``api_keys.last_used_at`` is kept.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def sees_precise_locations(caller: Caller) -> bool:
    return role_at_least(caller.role, PRECISE_ROLE)


def keyed_headers(caller: Caller) -> dict[str, str]:
    """Cache headers of a response whose body depends on the caller's key."""
    headers = {"Vary": KEY_VARY}
    if caller.key_prefix is not None:
        headers["Cache-Control"] = "private"
    return headers


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def current_caller(request: Request) -> Caller:
    """The caller's role; a presented but invalid key is refused, never downgraded.

    A coroutine, so FastAPI runs it on the event loop: an anonymous call (most tiles) costs
    no worker-thread hop, and only a presented key goes to a thread for its database check.
    """
    plain = _presented_key(request)
    if plain is None:
        return ANONYMOUS
    return await run_in_threadpool(_verified_caller, request, plain)


def caller_of(request: Request) -> Caller:
    """:func:`current_caller` for code already running in a worker thread."""
    plain = _presented_key(request)
    if plain is None:
        return ANONYMOUS
    return _verified_caller(request, plain)


def _verified_caller(request: Request, plain: str) -> Caller:
    with request.app.state.sessions() as session, session.begin():
        key = verify_key(session, plain)
        if key is None:
            raise Problem(
                401,
                "unknown or revoked API key",
                headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
            )
        now = dt.datetime.now(dt.UTC)
        # Reads with a key come by the hundred (a map's tiles): stamp the key at most once
        # a minute rather than writing its row on every request.
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        return Caller(role=key.role, key_prefix=key.key_prefix, name=key.name)


def check_role(caller: Caller, needed: str) -> None:
    """Refuse (401 without a key, 403 with too weak a key) unless ``caller`` holds ``needed``."""
    if caller.role == "anonymous":
        raise Problem(
            401,
            f"this operation needs an API key with the {needed} role",
            headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
        )
    if not role_at_least(caller.role, needed):
        raise Problem(403, f"this operation needs the {needed} role; the key is {caller.role}")


def require_role(needed: str) -> Callable[[Request], Caller]:
    """A dependency that admits callers holding ``needed`` or a stronger role."""

    def dependency(request: Request) -> Caller:
        caller = caller_of(request)
        check_role(caller, needed)
        return caller

    return dependency


def require_role_audited(
    needed: str, entity: str, id_param: str | None = None
) -> Callable[[Request], Caller]:
    """:func:`require_role` for reads of personal data: a known key refused is audited.

    A valid key asking for more than its role holds is recorded as ``denied`` (who, what,
    which id). Requests without a key are refused but not recorded: anyone can send them,
    and an entry per attempt would let anyone fill the log; the rate limits bound them.
    """

    def dependency(request: Request) -> Caller:
        caller = caller_of(request)
        try:
            check_role(caller, needed)
        except Problem:
            if caller.key_prefix is not None:
                raw_id = request.path_params.get(id_param) if id_param else None
                with request.app.state.sessions() as session, session.begin():
                    record(
                        session,
                        actor=caller.actor,
                        action="denied",
                        entity=entity,
                        # The id as sent: it is not validated yet, so keep it short.
                        entity_id=None if raw_id is None else str(raw_id)[:40],
                        details={"role": caller.role, "needed": needed},
                    )
            raise
        return caller

    return dependency
