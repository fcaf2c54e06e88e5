"""``make bench-geo``: what routing by a point costs — the boundary index's load, and a look-up inside a
boundary, near one (the coast) and far from all (the sea). Median and range of three runs of N look-ups
each, in microseconds; the load once per process.

    uv run python -m tools.bench_geo            # 20,000 look-ups per kind and run
"""

from __future__ import annotations

import argparse
import statistics
import time

from lapor_shared import geo

POINTS = {
    "inside (Tugu Adipura, 18.71)": (-5.4176, 105.2583),
    "near (off Bandar Lampung's shore)": (-5.47, 105.30),
    "none (the Sunda Strait)": (-6.5, 104.5),
}


def per_lookup_us(lat: float, lon: float, n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        geo.locate_point(lat, lon)
    return (time.perf_counter() - began) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    began = time.perf_counter()
    geo.warm()
    print(f"index load (514 regions, once per process): {time.perf_counter() - began:.2f} s")
    for name, (lat, lon) in POINTS.items():
        runs = sorted(per_lookup_us(lat, lon, args.lookups) for _ in range(3))
        print(f"{name:<36} median {statistics.median(runs):7.1f} µs  (range {runs[0]:.1f}–{runs[-1]:.1f},"
              f" 3 runs × {args.lookups})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
