"""API keys: created once and shown once, stored only as a SHA-256 hash, revocable.

Keys are 32 random bytes, so a fast hash is as safe as a slow one here (there is no
dictionary to try) and lets every request be checked with one indexed lookup by prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import ApiKey
from db.vocab import API_ROLES

KEY_PREFIX_LENGTH = 10
# Lower index = fewer rights; "anonymous" is the role of a request without a key.
ROLE_ORDER = ("anonymous", *API_ROLES)


def role_at_least(role: str, needed: str) -> bool:
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    plain: str
    prefix: str
    role: str
    name: str


def create_key(session: Session, *, name: str, role: str) -> NewKey:
    """Store a new key and return it in the clear: the only time it is ever visible."""
    if role not in API_ROLES:
        raise ValueError(f"role must be one of {', '.join(API_ROLES)}")
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    plain = f"athar_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(name=name, key_prefix=prefix, key_hash=hash_key(plain), role=role))
    session.flush()
    return NewKey(plain=plain, prefix=prefix, role=role, name=name)


def _prefix_of(plain: str) -> str | None:
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != "athar" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    return parts[1]


def verify_key(session: Session, plain: str) -> ApiKey | None:
    """The live key matching ``plain``, or None (unknown, malformed or revoked)."""
    prefix = _prefix_of(plain)
    if prefix is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_prefix == prefix))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, hash_key(plain)):
        return None
    return key


def revoke_key(session: Session, prefix: str) -> bool:
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.key_prefix == prefix, ApiKey.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
