"""``GET /stats``: incident counts and victims grouped by month, perpetrator, governorate or
weapon — the tables a monthly report prints — next to the totals the reports themselves state.

Counts are computed from incidents with the shared filter. Report tolls (``report_tolls``,
scope ``civilians``) are set beside them only where the comparison means something: monthly
tolls, and no filter beyond the date range (plus the grouping's own dimension), because a
report's total is never "killed by airstrikes inside this bounding box".

Spatial filters work in the caller's view, as on ``/incidents``: partner, editor and admin
keys count sensitive incidents by their true point, everyone else by their public point, so
the answer varies by key for caches.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import fields
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Caller, current_caller, keyed_headers
from api.filters import caller_incident_filter
from db.models import AdminUnit, Incident, Party, ReportToll, SourceDocument
from db.queries import IncidentFilter

router = APIRouter(tags=["stats"])

TOLL_SCOPE = "civilians"
MEASURES = ("incidents", "killed_total", "killed_children", "killed_women", "injured")
TOLL_MEASURES = (
    ("killed_total", "killed"),
    ("killed_children", "children"),
    ("killed_women", "women"),
)


class GroupBy(StrEnum):
    month = "month"
    perpetrator = "perpetrator"
    governorate = "governorate"
    weapon = "weapon"


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"


def _group_key(group_by: GroupBy) -> SQLColumnExpression[Any]:
    if group_by is GroupBy.month:
        return func.to_char(Incident.date_start, "YYYY-MM")
    if group_by is GroupBy.perpetrator:
        return Incident.perpetrator_category
    if group_by is GroupBy.governorate:
        return Incident.admin1_pcode
    return Incident.weapon


def _label(group_by: GroupBy, key: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    if group_by is GroupBy.perpetrator:
        return select(Party.name_en).where(Party.code == key).scalar_subquery()
    if group_by is GroupBy.governorate:
        return select(AdminUnit.name_en).where(AdminUnit.pcode == key).scalar_subquery()
    return key


def incident_stats(
    session: Session, query: IncidentFilter, group_by: GroupBy
) -> list[dict[str, Any]]:
    key = _group_key(group_by)
    grouped = (
        select(
            key.label("key"),
            func.count().label("incidents"),
            # coalesce: a group whose incidents all lack a count still sums to 0, not null.
            func.coalesce(func.sum(Incident.killed_total), 0).label("killed_total"),
            func.coalesce(func.sum(Incident.killed_children), 0).label("killed_children"),
            func.coalesce(func.sum(Incident.killed_women), 0).label("killed_women"),
            func.coalesce(func.sum(Incident.injured), 0).label("injured"),
        )
        .where(query.where())
        .group_by(key)
        .subquery()
    )
    statement = select(grouped, _label(group_by, grouped.c.key).label("label")).order_by(
        grouped.c.key.asc().nulls_last()
    )
    return [dict(row._mapping) for row in session.execute(statement)]


def _tolls_comparable(query: IncidentFilter, group_by: GroupBy) -> bool:
    """True when the filter restricts nothing a report total could not also be about."""
    # The view (precise or public) changes where incidents are, not which months they count in.
    allowed = {"date_from", "date_to", "statuses", "include_synthetic", "extra", "precise"}
    if group_by is GroupBy.perpetrator:
        allowed.add("perpetrators")
    if group_by is GroupBy.governorate and (
        query.admin_pcode is None or len(query.admin_pcode) == 4
    ):
        allowed.add("admin_pcode")
    default = IncidentFilter()
    return group_by is not GroupBy.weapon and all(
        getattr(query, item.name) == getattr(default, item.name)
        for item in fields(IncidentFilter)
        if item.name not in allowed
    )


def _last_whole_month(date_to: dt.date) -> dt.date:
    """First day of the last month that ends on or before ``date_to``."""
    following = date_to + dt.timedelta(days=1)
    year, month = following.year, following.month - 1
    if month == 0:
        year, month = year - 1, 12
    return dt.date(year, month, 1)


def _month_start(period: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    return func.to_date(period, "YYYY-MM")


def toll_select(query: IncidentFilter, group_by: GroupBy) -> Select[Any]:
    """One toll per (month, party, governorate): the latest document's, so two reports of the
    same month are not added up."""
    month = _month_start(ReportToll.period)
    conditions: list[ColumnElement[bool]] = [
        ReportToll.scope == TOLL_SCOPE,
        ReportToll.period.regexp_match("^[0-9]{4}-[0-9]{2}$"),
    ]
    # Only months wholly inside the range: a toll for all of March is not a toll for 15–31
    # March. Period strings are month starts once parsed, so the bounds are month starts too.
    if query.date_from is not None:
        conditions.append(month >= query.date_from)
    if query.date_to is not None:
        conditions.append(month <= _last_whole_month(query.date_to))
    # Tolls may name a subcategory ("landmine_unknown"); incidents are grouped by category.
    party_category = func.coalesce(
        select(Party.parent_code).where(Party.code == ReportToll.party_code).scalar_subquery(),
        ReportToll.party_code,
    )
    if group_by is GroupBy.month:
        key: SQLColumnExpression[Any] = ReportToll.period
        conditions += [ReportToll.party_code.is_(None), ReportToll.governorate_pcode.is_(None)]
    elif group_by is GroupBy.perpetrator:
        key = party_category
        conditions += [ReportToll.party_code.is_not(None), ReportToll.governorate_pcode.is_(None)]
        if query.perpetrators:
            conditions.append(
                or_(
                    ReportToll.party_code.in_(query.perpetrators),
                    party_category.in_(query.perpetrators),
                )
            )
    else:
        key = ReportToll.governorate_pcode
        conditions += [ReportToll.governorate_pcode.is_not(None), ReportToll.party_code.is_(None)]
        if query.admin_pcode:
            conditions.append(ReportToll.governorate_pcode == query.admin_pcode)
    rank = (
        func.row_number()
        .over(
            partition_by=(ReportToll.period, ReportToll.party_code, ReportToll.governorate_pcode),
            order_by=(
                SourceDocument.published_on.desc().nulls_last(),
                ReportToll.document_id.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(
            key.label("key"),
            ReportToll.document_id,
            ReportToll.killed,
            ReportToll.children,
            ReportToll.women,
            rank,
        )
        .join(SourceDocument, SourceDocument.id == ReportToll.document_id)
        .where(and_(*conditions))
        .subquery()
    )
    latest = select(ranked).where(ranked.c.rank == 1).subquery()
    return select(
        latest.c.key,
        func.sum(latest.c.killed).label("killed"),
        func.sum(latest.c.children).label("children"),
        func.sum(latest.c.women).label("women"),
        func.array_agg(func.distinct(latest.c.document_id)).label("documents"),
    ).group_by(latest.c.key)


def build_stats(session: Session, query: IncidentFilter, group_by: GroupBy) -> dict[str, Any]:
    rows = incident_stats(session, query, group_by)
    comparable = _tolls_comparable(query, group_by)
    tolls: dict[Any, Any] = {}
    if comparable:
        tolls = {row.key: row for row in session.execute(toll_select(query, group_by))}
    groups = []
    for row in rows:
        group: dict[str, Any] = {"key": row["key"], "label": row["label"]}
        group.update({measure: row[measure] for measure in MEASURES})
        toll = tolls.pop(row["key"], None)
        group["reported"] = _reported(toll)
        group["difference"] = _difference(group, group["reported"])
        groups.append(group)
    # Months (or parties) a report counted but no incident was recorded for still show up:
    # that gap is exactly what the comparison is for.
    for key, toll in sorted(tolls.items(), key=lambda item: str(item[0])):
        group = {"key": key, "label": key}
        group.update({measure: 0 for measure in MEASURES})
        group["reported"] = _reported(toll)
        group["difference"] = _difference(group, group["reported"])
        groups.append(group)
    totals = {measure: sum(group[measure] for group in groups) for measure in MEASURES}
    return {
        "group_by": group_by.value,
        "groups": groups,
        "totals": totals,
        "reported_compared": comparable,
        "notes": (
            "killed_* and incidents are computed from incident records; reported.* are the "
            "totals stated by monthly reports (scope civilians, latest report per month), "
            "difference = computed - reported. Report totals are compared only for date-range "
            "filters and the grouping's own dimension."
        ),
    }


def _reported(toll: Any) -> dict[str, Any] | None:
    if toll is None:
        return None
    return {
        "killed_total": toll.killed,
        "killed_children": toll.children,
        "killed_women": toll.women,
        "documents": sorted(toll.documents),
    }


def _difference(group: dict[str, Any], reported: dict[str, Any] | None) -> dict[str, Any] | None:
    if reported is None:
        return None
    return {
        measure: None if reported[measure] is None else group[measure] - reported[measure]
        for measure, _ in TOLL_MEASURES
    }


CSV_COLUMNS = (
    "key",
    "label",
    *MEASURES,
    *(f"reported_{measure}" for measure, _ in TOLL_MEASURES),
    *(f"difference_{measure}" for measure, _ in TOLL_MEASURES),
)


def stats_csv(stats: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in stats["groups"]:
        reported = group["reported"] or {}
        difference = group["difference"] or {}
        writer.writerow(
            [
                group["key"],
                group["label"],
                *(group[measure] for measure in MEASURES),
                *(reported.get(measure) for measure, _ in TOLL_MEASURES),
                *(difference.get(measure) for measure, _ in TOLL_MEASURES),
            ]
        )
    totals = stats["totals"]
    writer.writerow(["total", "", *(totals[measure] for measure in MEASURES)])
    return buffer.getvalue()


@router.get(
    "/stats",
    summary="Incident counts and victims grouped, beside the totals reports state",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        422: {"description": "Invalid parameter (problem+json)"},
    },
)
def stats(
    request: Request,
    query: Annotated[IncidentFilter, Depends(caller_incident_filter)],
    caller: Annotated[Caller, Depends(current_caller)],
    group_by: Annotated[GroupBy, Query(description="Grouping dimension.")] = GroupBy.month,
    format: Annotated[
        OutputFormat, Query(description="json (default) or csv.")
    ] = OutputFormat.json,
) -> Response:
    """Per group: `incidents`, `killed_total`, `killed_children`, `killed_women`, `injured`,
    and, where a monthly report states a total for the same month, party or governorate,
    `reported` and `difference` (computed minus reported). The filters are those of
    `/incidents`, in the same view (bbox, radius on true points for partner, editor and
    admin keys)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        result = build_stats(session, query, group_by)
    if format is OutputFormat.csv:
        return Response(
            stats_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="athar-stats-{group_by.value}.csv"',
                **keyed_headers(caller),
            },
        )
    return JSONResponse(result, headers=keyed_headers(caller))
