"""Lay out a trial's attrition funnel as SVG bars (drawn on the server; counts and % labelled on
each bar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.pages.messages import t

WIDTH = 720
LABEL_WIDTH = 150
BAR_HEIGHT = 22
GAP = 6
TOP = 4


@dataclass(frozen=True)
class Bar:
    """One bar: the step it follows, its geometry and its label."""

    step: str
    text: str
    remaining: int
    percent: float
    unknown: int
    y: int
    width: float
    label: str
    label_inside: bool


def _percent(remaining: int, population: int) -> float:
    return round(100.0 * remaining / population, 1) if population else 0.0


def layout(data: dict[str, Any]) -> tuple[list[Bar], int]:
    """Return the bars (population first, then one per criterion) and the chart's height."""
    population = int(data.get("population") or 0)
    texts = {c.get("id"): c.get("text", "") for c in data.get("criteria") or []}
    steps = [(t("run.funnel.population"), "", population, 100.0 if population else 0.0, 0)]
    for item in data.get("funnel") or []:
        remaining = int(item.get("remaining") or 0)
        percent = item.get("percent")
        steps.append(
            (
                str(item.get("id")),
                str(texts.get(item.get("id"), "")),
                remaining,
                float(percent)
                if isinstance(percent, int | float)
                else _percent(remaining, population),
                int(item.get("blockedOnlyByUnknown") or 0),
            )
        )
    span = WIDTH - LABEL_WIDTH - 4
    bars = []
    for index, (step, text, remaining, percent, unknown) in enumerate(steps):
        width = span * remaining / population if population else 0.0
        label = t("run.funnel.bar", remaining=f"{remaining:,}", percent=f"{percent:g}")
        # A label fits inside a bar at ~7 px per character; otherwise it goes just right of the bar.
        bars.append(
            Bar(
                step,
                text,
                remaining,
                percent,
                unknown,
                TOP + index * (BAR_HEIGHT + GAP),
                width,
                label,
                width > 8 * len(label),
            )
        )
    return bars, TOP + len(bars) * (BAR_HEIGHT + GAP)
