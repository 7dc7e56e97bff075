"""PRESSROOM_ACCEL=off against on, side by side: a cold build of the seed article and of the long
generated document, each in a fresh process of its own, the two settings alternating run by run
(the machine's speed drifts within minutes: pairs run back to back compare best).

    .venv/bin/python benchmarks/accel.py [--runs N] [--doc-kb KB]

Prints each run's wall time and the medians of off, on and of the per-pair ratio on/off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import long_document
from run import BUILD, SEED, make_project


def timed_build(project: Path, article: str, accel: str) -> float:
    """Seconds of one cold ``build.py ARTICLE --force`` with ``PRESSROOM_ACCEL=accel``."""
    env = {**os.environ, "PRESSROOM_ACCEL": accel, "SOURCE_DATE_EPOCH": "1700000000"}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(BUILD), article, "--out", "out", "--force", "-q"], cwd=project, env=env, check=True)
    return time.perf_counter() - start


def compare(label: str, project: Path, article: str, runs: int) -> None:
    times: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(runs):
        for accel in ("off", "on") if i % 2 == 0 else ("on", "off"):
            times[accel].append(timed_build(project, article, accel))
        print(f"  {label} run {i + 1}: off {times['off'][-1]:.2f} s, on {times['on'][-1]:.2f} s", flush=True)
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    ratio = statistics.median(b / a for a, b in zip(times["off"], times["on"], strict=True))
    print(f"{label}: off {off:.2f} s, on {on:.2f} s (median of {runs}), saved {off - on:.2f} s, on/off {ratio:.2f} (median of pairs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--doc-kb", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pressroom-accel-") as folder:
        project = make_project(Path(folder) / "seed")
        compare("seed article, cold", project, f"content/{SEED.name}", args.runs)
        text = long_document(args.doc_kb * 1000, args.seed)
        project = make_project(Path(folder) / "long", {"handbook.md": text})
        compare(f"{len(text.encode()) // 1000} KB document", project, "content/handbook.md", args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
