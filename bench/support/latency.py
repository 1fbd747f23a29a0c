"""Latency figures shared by the load benches (bench/teraserver_api.py, bench/sample_service.py).

A folder of its own: bench/run.py runs every bench/*.py as a bench script.
"""

from __future__ import annotations

import statistics


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load_figures(latencies: list[float], failures: int, duration: float, what: str) -> dict:
    """ok, failed, rps, p50_ms and p99_ms of a load run (latencies in seconds); RuntimeError if none succeeded."""
    if not latencies:
        raise RuntimeError(f"no successful request {what} ({failures} failed)")
    return {
        "ok": len(latencies),
        "failed": failures,
        "rps": len(latencies) / duration,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }
