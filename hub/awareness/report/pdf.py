"""The security check as a PDF (reportlab: pure Python, nothing fetched at run time).

The PDF uses the standard Helvetica fonts, so its text is the report's English; the
HTML report carries the same figures with the Chinese terms.  Text that Helvetica
cannot show is replaced by ``?`` rather than dropped silently.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hub.awareness.report.content import CheckContent

_STYLES = getSampleStyleSheet()
_GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("FONTSIZE", (0, 0), (-1, -1), 7.5), ("VALIGN", (0, 0), (-1, -1), "TOP")])


def _latin(value: Any) -> str:
    return escape(str(value).encode("latin-1", "replace").decode("latin-1"))


def _cell(value: Any) -> Paragraph:
    return Paragraph(_latin(value), _STYLES["BodyText"].clone("cell", fontSize=7.5, leading=9))


def _table(headers: list[str], rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    data = [[_cell(h) for h in headers]] + ([[_cell(c) for c in row] for row in rows] or [[_cell("none")]])
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_GRID)
    return table


def render(content: CheckContent) -> bytes:
    """The report as PDF bytes."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.5 * cm, title="Huitong periodic security check")
    risk = content.risk
    story: list[Any] = [
        Paragraph("Huitong periodic security check", _STYLES["Title"]),
        Paragraph(_latin(f"{content.at.isoformat()} - HUB_HOME {content.home} - {content.verdict()}"),
                  _STYLES["Normal"]),
        Spacer(1, 0.3 * cm),
        _table(["check", "outcome"], [list(r) for r in content.summary_rows()], [5 * cm, 13 * cm]),
    ]
    for title, png in content.charts.items():
        story += [Spacer(1, 0.3 * cm), Paragraph(_latin(title), _STYLES["Heading3"]),
                  Image(io.BytesIO(png), width=17 * cm, height=6.8 * cm)]
    story += [Paragraph("Policy cases that failed", _STYLES["Heading2"]),
              _table(["case", "problems"], [[n, "; ".join(p)] for n, p in content.case_failures]),
              Paragraph("Open alerts", _STYLES["Heading2"]),
              _table(["id", "severity", "kind", "subject", "count", "title"],
                     [[a["id"], a["severity"], a["kind"], a["subject"] or "", a["count"], a["title"]]
                      for a in content.open_alerts[:60]], [2.3 * cm, 1.6 * cm, 2.6 * cm, 3 * cm, 1.2 * cm, 7.3 * cm]),
              Paragraph(f"Risk assessment, last {risk['window_days']} days", _STYLES["Heading2"]),
              _table(["dataset", "score", "level", "clear PII cols", "rows", "partners"],
                     [[d["dataset"], d["score"], *d["parts"].values()] for d in risk["datasets"][:40]]),
              Spacer(1, 0.3 * cm),
              _table(["partner", "score", "top level", "clear PII cols", "rows", "datasets"],
                     [[d["partner"], d["score"], *d["parts"].values()] for d in risk["partners"][:40]])]
    for title, key in (("Grants unused in the period", "grants_unused"),
                       ("Grants without an end within a year", "grants_without_end"),
                       ("Partners with keys older than the rotation policy", "stale_partner_keys"),
                       ("Datasets whose reviewed level is below the inferred one", "level_below_inferred")):
        items = risk[key]
        story += [Paragraph(title, _STYLES["Heading3"]),
                  _table(list(items[0]) if items else ["-"], [list(i.values()) for i in items[:40]])]
    doc.build(story)
    return out.getvalue()
