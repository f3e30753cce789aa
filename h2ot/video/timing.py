"""Per-stage wall-clock time of the video pipeline, and the summary table printed at the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StageTimes:
    """Seconds spent in each named stage (a stage may be entered many times, e.g. once per frame)."""

    seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started

    def table(self, frames: int) -> list[dict[str, float | str]]:
        """One row per stage and a total: seconds, frames per second (video frames), share of the total."""
        total = self.total
        rows: list[dict[str, float | str]] = []
        for name, seconds in [*self.seconds.items(), ("total", total)]:
            rows.append({"stage": name, "seconds": round(seconds, 3),
                         "fps": round(frames / seconds, 1) if seconds > 0 else float("inf"),
                         "share": round(seconds / total, 4) if total > 0 else 0.0})
        return rows

    def format(self, frames: int) -> str:
        lines = [f"  {'stage':<8} {'seconds':>8} {'frames/s':>9} {'share':>6}"]
        for row in self.table(frames):
            lines.append(f"  {row['stage']:<8} {row['seconds']:>8.2f} {row['fps']:>9.1f} {row['share']:>6.1%}")
        return "\n".join(lines)
