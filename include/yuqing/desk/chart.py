"""Sentiment over time as a small server-rendered SVG line chart (no script, no network).

The template draws polylines from the points computed here, so the chart is plain markup that
renders the same in a browser, a screenshot and a printout.
"""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT, PAD = 720, 220, 32
SERIES = (("negative", "负面", "#c62828"), ("neutral", "中性", "#757575"), ("positive", "正面", "#2e7d32"))


def sentiment_chart(hours: list[dict[str, Any]]) -> dict[str, Any]:
    """Polylines (one per sentiment) over the 24 Beijing hours of the day, scaled to the busiest hour."""
    top = max([1] + [h[key] for h in hours for key, _, _ in SERIES])
    step = (WIDTH - 2 * PAD) / max(1, len(hours) - 1)

    def y(n: int) -> float:
        return round(HEIGHT - PAD - n * (HEIGHT - 2 * PAD) / top, 1)

    lines = [
        {
            "name": name,
            "colour": colour,
            "points": " ".join(f"{round(PAD + i * step, 1)},{y(h[key])}" for i, h in enumerate(hours)),
            "total": sum(h[key] for h in hours),
        }
        for key, name, colour in SERIES
    ]
    ticks = [{"x": round(PAD + i * step, 1), "label": f"{h['hour']:02d}"} for i, h in enumerate(hours) if i % 3 == 0]
    return {"width": WIDTH, "height": HEIGHT, "pad": PAD, "top": top, "top_y": y(top), "base_y": y(0),
            "lines": lines, "ticks": ticks}
