"""Rate limits: a token bucket per caller; 429 problem+json with Retry-After when exceeded."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.ratelimit import TokenBuckets
from db.settings import Settings


def test_bucket_admits_a_burst_then_refills() -> None:
    buckets = TokenBuckets(rate_per_minute=60, burst=3)
    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = buckets.take("a", now=0.0)
    assert 0.9 < wait <= 1.0
    assert buckets.take("b", now=0.0) == 0.0  # callers do not share a bucket
    assert buckets.take("a", now=1.5) == 0.0


def test_app_answers_429_past_the_limit(engine: Engine) -> None:
    settings = Settings(
        rate_limit_anonymous_per_minute=1, rate_limit_key_per_minute=1, rate_limit_burst=2
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        statuses = [client.get("/gazetteer/reverse?lat=95&lon=0").status_code for _ in range(3)]
        assert statuses[:2] == [422, 422] and statuses[2] == 429
        limited = client.get("/gazetteer/reverse?lat=95&lon=0")
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/health").status_code == 200  # probes are never limited
