"""The audit-log listings (``GET /audit``, ``athar audit list``) read their indexes.

The log only grows. A listing filtered by a seldom-seen actor or action must find its few
entries through an index, not walk the whole table newest first hoping to fill a page; one
with more entries than a page must be a backward range scan that stops after ``limit``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, text

from db.audit import entries_query

ROWS = 20_000

ACTOR_INDEX = "ix_audit_log_actor_id_at"
ACTION_INDEX = "ix_audit_log_action_id_at"


@pytest.fixture
def busy_log(connection: Connection) -> Connection:
    """A log shaped like a busy one: entries a minute apart, mostly reads of personal data by
    ten busy keys. What an admin looks for is rarer: a key with 40 entries, one with 200,
    one refusal in a hundred. With statistics, so the planner chooses on real numbers;
    rolled back with the test."""
    connection.execute(
        text(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id)"
            " SELECT now() - (:rows - g) * interval '1 minute',"
            "        CASE WHEN g % 500 = 7 THEN 'key:seldom'"
            "             WHEN g % 100 = 3 THEN 'key:sometimes'"
            "             ELSE 'key:busy' || (g % 10) END,"
            "        CASE WHEN g % 100 = 0 THEN 'denied' WHEN g % 10 = 0 THEN 'create'"
            "             ELSE 'read_personal' END,"
            "        'victims', g::text"
            "   FROM generate_series(1, :rows) AS g"
        ),
        {"rows": ROWS},
    )
    connection.execute(text("ANALYZE audit_log"))
    return connection


def plan_of(connection: Connection, **filters: Any) -> str:
    """EXPLAIN of the very statement ``db.audit.entries`` runs with these filters."""
    if filters.get("before_id") is A_QUARTER_BACK:
        # Rolled-back inserts still use up ids, so where this log starts is only known now.
        newest = connection.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        filters = {**filters, "before_id": newest - ROWS // 4}
    compiled = entries_query(**filters).compile(dialect=connection.dialect)
    plan = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(plan.scalars())


def index_conditions(plan: str) -> str:
    return "\n".join(line for line in plan.splitlines() if "Index Cond" in line)


#: Stands for a ``before_id`` a quarter of the way back: a later page of a listing.
A_QUARTER_BACK = object()

DAYS_AGO_10 = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)


@pytest.mark.parametrize(
    ("filters", "conditions"),
    [
        ({"actor": "key:seldom"}, ["actor ="]),
        ({"actor": "key:seldom", "before_id": A_QUARTER_BACK}, ["actor =", "id <"]),
        ({"actor": "key:seldom", "since": DAYS_AGO_10}, ["actor =", "at >="]),
    ],
)
def test_a_seldom_actor_is_found_through_its_index(
    busy_log: Connection, filters: dict[str, Any], conditions: list[str]
) -> None:
    """Fewer entries than a page: without the index, every entry would be read to find them."""
    plan = plan_of(busy_log, **filters)
    assert f"on {ACTOR_INDEX}" in plan, plan
    assert "Seq Scan" not in plan and "pk_audit_log" not in plan, plan
    assert all(condition in index_conditions(plan) for condition in conditions), plan


@pytest.mark.parametrize(
    ("filters", "index", "conditions"),
    [
        ({"actor": "key:sometimes"}, ACTOR_INDEX, ["actor ="]),
        ({"actor": "key:sometimes", "before_id": A_QUARTER_BACK}, ACTOR_INDEX, ["actor =", "id <"]),
        ({"action": "denied"}, ACTION_INDEX, ["action ="]),
        ({"action": "denied", "before_id": A_QUARTER_BACK}, ACTION_INDEX, ["action =", "id <"]),
    ],
)
def test_a_page_is_a_backward_scan_of_the_index(
    busy_log: Connection, filters: dict[str, Any], index: str, conditions: list[str]
) -> None:
    """More entries than a page: the index gives them newest first, so nothing is sorted and
    the scan stops at ``limit``; ``before`` (the next page) narrows the same range."""
    plan = plan_of(busy_log, **filters)
    assert f"Index Scan Backward using {index} on audit_log" in plan, plan
    assert "Sort" not in plan, plan
    assert all(condition in index_conditions(plan) for condition in conditions), plan
