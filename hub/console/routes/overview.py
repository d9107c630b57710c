"""The overview page (总览): traffic of the last 24 hours and 30 days, top partners and
datasets, pending applications, grants about to expire, the audit chain's status, and the
live alerts of the detectors (``hub.awareness.overview``; acknowledged and resolved by
signed statements through ``hub alerts`` or ``/v1/alerts``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub import awareness
from hub.console import stats
from hub.console.web import ConsoleRoute, Ctx, CurrentOfficer, render, state_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/console/")
def overview(request: Request, current: CurrentOfficer, ctx: Ctx) -> Response:
    now = state_of(request).clock()
    with ctx.store.session() as session:
        hourly, daily = stats.traffic(session, now)
        values: dict[str, Any] = {
            "charts": json.dumps({"hourly": hourly.as_dict(), "daily": daily.as_dict()}).replace("<", "\\u003c"),
            "totals": {"deliveries": sum(daily.deliveries), "denials": sum(daily.denials), "rows": sum(daily.rows),
                       "deliveries_24h": sum(hourly.deliveries), "denials_24h": sum(hourly.denials),
                       "rows_24h": sum(hourly.rows)},
            "top_partners": stats.top(session, now, "subject"),
            "top_datasets": stats.top(session, now, "dataset"),
            "pending": stats.pending(session),
            "expiring": stats.expiring(session, now),
            "chain": stats.chain_status(session, ctx.keys, now),
        }
    values["alerts"] = awareness.overview(ctx.store)
    return render(request, "overview.html", current=current, **values)
