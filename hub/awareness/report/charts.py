"""The security check's charts, drawn with matplotlib (Agg: no display, no download) as PNG bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first

WIDTH, HEIGHT, DPI = 7.5, 3.0, 110


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def rows_chart(days: list[str], rows: dict[str, dict[str, int]]) -> bytes:
    """Rows delivered per partner per day (one line each, the eight largest partners)."""
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    top = sorted(rows, key=lambda p: -sum(rows[p].values()))[:8]
    for partner in top:
        ax.plot(range(len(days)), [rows[partner].get(d, 0) for d in days], marker=".", label=partner)
    ax.set_title("Rows delivered per partner and day")
    ax.set_ylabel("rows")
    _days_axis(ax, days)
    if top:
        ax.legend(fontsize=7, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no deliveries in the period", ha="center", va="center", transform=ax.transAxes)
    return _png(fig)


def denials_chart(days: list[str], denials: dict[str, int]) -> bytes:
    """Denied data requests per day."""
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    ax.bar(range(len(days)), [denials.get(d, 0) for d in days], color="#c0392b")
    ax.set_title("Denied data requests per day")
    ax.set_ylabel("denials")
    ax.set_ylim(bottom=0)
    _days_axis(ax, days)
    return _png(fig)


def alerts_chart(by_kind: dict[str, int]) -> bytes:
    """Alerts raised in the period, by kind."""
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    kinds = sorted(by_kind, key=lambda k: -by_kind[k])
    ax.barh(kinds or ["(none)"], [by_kind[k] for k in kinds] or [0], color="#2c3e50")
    ax.set_title("Alerts raised in the period, by kind")
    ax.set_xlabel("alerts")
    return _png(fig)


def _days_axis(ax: plt.Axes, days: list[str]) -> None:
    step = max(1, len(days) // 8)
    ax.set_xticks(range(0, len(days), step))
    ax.set_xticklabels([d[5:] for d in days[::step]], fontsize=8)
    ax.grid(alpha=0.3)
