"""The security check as one self-contained HTML page (charts embedded as PNG data URIs)."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from hub.awareness.report.content import CheckContent

STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;font-size:13px}th{background:#eee}
.passed{color:#1e7e34}.failed{color:#b00020}img{max-width:100%}"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body or '<tr><td colspan=99>none</td></tr>'}</table>"


def render(content: CheckContent) -> bytes:
    """The report as UTF-8 HTML."""
    risk = content.risk
    verdict = content.verdict()
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>Huitong security check {escape(content.at.isoformat())}</title><style>{STYLE}</style></head><body>",
        "<h1>Huitong (汇通) periodic security check (定期安全检查)</h1>",
        f"<p>{escape(content.at.isoformat())} · HUB_HOME {escape(content.home)} · "
        f"<b class='{verdict.lower()}'>{verdict}</b></p>",
        _table(["check", "outcome"], [list(r) for r in content.summary_rows()]),
        "<h2>Charts</h2>",
        *(f"<h3>{escape(title)}</h3><img alt='{escape(title)}' src='data:image/png;base64,"
          f"{base64.b64encode(png).decode()}'>" for title, png in content.charts.items()),
        "<h2>Policy cases that failed</h2>",
        _table(["case", "problems"], [[n, "; ".join(p)] for n, p in content.case_failures]),
        "<h2>Open alerts (监测预警)</h2>",
        _table(["id", "severity", "kind", "subject", "dataset", "count", "last seen", "title"],
               [[a["id"], a["severity"], a["kind"], a["subject"] or "", a["dataset"] or "", a["count"],
                 a["last_seen"][:19], a["title"]] for a in content.open_alerts]),
        f"<h2>Risk assessment (风险评估), last {risk['window_days']} days</h2>",
        _table(["dataset", "score", "level", "clear PII columns granted", "rows delivered", "partners"],
               [[d["dataset"], d["score"], *d["parts"].values()] for d in risk["datasets"]]),
        _table(["partner", "score", "highest level", "clear PII columns granted", "rows delivered",
                "datasets granted"], [[d["partner"], d["score"], *d["parts"].values()] for d in risk["partners"]]),
    ]
    for title, key in (("Grants unused in the period", "grants_unused"),
                       ("Grants without an end within a year", "grants_without_end"),
                       ("Partners with keys older than the rotation policy", "stale_partner_keys"),
                       ("Datasets whose reviewed level is below the inferred one", "level_below_inferred")):
        items = risk[key]
        parts.append(f"<h3>{escape(title)}</h3>")
        parts.append(_table(list(items[0]) if items else ["—"], [list(i.values()) for i in items]))
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
