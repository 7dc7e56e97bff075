"""Cluster and scale benchmark: `--cluster` on a 2-worker LocalCluster against `-j 2`, and the
cost of no-op and one-edit rebuilds as the project grows.

    .venv/bin/python benchmarks/cluster.py               # 100 articles; scale curve 100, 1000, 2000
    .venv/bin/python benchmarks/cluster.py --articles 20 --scale 100,500

Prints a table (stdout); progress on stderr. Every build is a fresh `build.py` process in a
temporary project made of `benchmarks/corpus.py` articles. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from corpus import article_text  # noqa: E402

PYTHON = sys.executable
CLIENT_STAGES = {"send", "receive", "write"}


#: Ends every article of the scale curve's projects: each page then shows the same characters,
#: so the web editions share their font subsets (kept in the cache) and the projects' first build
#: takes minutes, not the ~3 s per article of subsetting nine faces for each page's characters.
EVERY_CHARACTER = "\n*" + "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "*_`<>[]\\|#") + " ’‘“”–—…*\n"


def make_project(folder: Path, count: int, seed: int = 1, tail: str = "") -> Path:
    (folder / "content").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", folder / "pyproject.toml")
    for index in range(count):
        (folder / "content" / f"article-{index:04d}.md").write_text(article_text(index, seed) + tail, encoding="utf-8")
    return folder


def run(project: Path, *args: str) -> tuple[float, float, str]:
    """Wall-clock seconds, the build process's own CPU seconds (user + system, not its -j
    workers'), its stdout."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1700000000"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # modules compiled once and kept, as in an installed Pressroom
    start = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, str(REPO / "build.py"), *args], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout and process.stderr
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"build failed ({' '.join(args)}):\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, out


def stage_times(verbose_out: str) -> tuple[list[float], list[float]]:
    """Per article, from -v lines: (client seconds, worker seconds)."""
    client, worker = [], []
    for line in verbose_out.splitlines():
        match = re.match(r"\s+\S+\.md: (.*)$", line)
        if not match:
            continue
        stages = {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+) s", match.group(1))}
        client.append(sum(v for k, v in stages.items() if k in CLIENT_STAGES))
        worker.append(sum(v for k, v in stages.items() if k not in CLIENT_STAGES))
    return client, worker


def fresh(project: Path, out: str) -> None:
    """No outputs and no cache: every article is built and recorded, as after a layout change."""
    shutil.rmtree(project / out, ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)


def instructions(project: Path, address: str, *what: str) -> int:
    """The instructions the client process runs (valgrind's callgrind; the cluster's workers are
    other processes and not counted) for a cluster build of ``what`` into a fresh folder.
    Unlike CPU time they do not depend on the machine's load: two runs agree within 0.2 %."""
    fresh(project, "counted")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1700000000"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", PYTHON, str(REPO / "build.py"), *what]
        subprocess.run([*command, "--out", "counted", "--cluster", address, "-q"], cwd=project, env=env, check=True, capture_output=True)
        match = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        assert match, "no summary in callgrind's output"
        return int(match.group(1))


def cluster_comparison(articles: int, runs: int, work: Path, count_instructions: bool = False) -> list[str]:
    from distributed import LocalCluster

    project = make_project(work / "corpus", articles)
    print(f"cluster: {articles} articles, {runs} runs", file=sys.stderr)
    os.environ["PYTHONPATH"] = str(REPO)  # the workers run this checkout's Pressroom, as the client does
    sys.path.insert(0, str(REPO))  # (spawned workers take the parent's sys.path)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        address = cluster.scheduler_address
        run(project, "content/article-0000.md", "--out", "warm", "--cluster", address)  # workers warm, as on a cluster
        local_times, cluster_times, client_cpu, one_cpu, start_cpu = [], [], [], [], []
        client_costs: list[float] = []
        worker_costs: list[float] = []
        for _ in range(runs):
            fresh(project, "local")
            wall, _, _ = run(project, "content", "--out", "local", "-j", "2")
            local_times.append(wall)
            print(f"  -j 2: {wall:.2f} s", file=sys.stderr)
            fresh(project, "dist")
            wall, cpu, out = run(project, "content", "--out", "dist", "--cluster", address, "-v")
            cluster_times.append(wall)
            client_cpu.append(cpu)
            client, worker = stage_times(out)
            client_costs += client
            worker_costs += worker
            print(f"  --cluster: {wall:.2f} s (client CPU {cpu:.2f} s)", file=sys.stderr)
            # What does not grow with the articles: starting Python and Pressroom, importing
            # Dask, connecting, checking the workers' versions, and what -v adds at the end (the
            # patches' notes, ~0.2 s): a cluster build of one article, also with -v.
            fresh(project, "one")
            one_cpu.append(run(project, "content/article-0001.md", "--out", "one", "--cluster", address, "-v")[1])
            start_cpu.append(run(project, "--help")[1])
        counted = None
        if count_instructions:
            print("  counting the client's instructions (valgrind)", file=sys.stderr)
            one = instructions(project, address, "content/article-0001.md")
            counted = (instructions(project, address, "content") - one) / (articles - 1), one
    finally:
        cluster.close()
    local, remote = statistics.median(local_times), statistics.median(cluster_times)
    fixed = statistics.median(one_cpu)
    per_article_cpu = (statistics.median(client_cpu) - fixed) / (articles - 1)
    with_start_up = (statistics.median(client_cpu) - statistics.median(start_cpu)) / articles
    client_stage = statistics.mean(client_costs)
    render = statistics.mean(worker_costs)
    kept_busy = render / max(per_article_cpu, 1e-9)
    return [
        "| figure | value | goal |",
        "| --- | ---: | --- |",
        f"| `-j 2`, {articles} articles, median s | {local:.2f} | |",
        f"| `--cluster` (2-worker LocalCluster, warm), median s | {remote:.2f} | |",
        f"| overhead ratio (cluster / -j 2) | {remote / local:.2f} | ≤ 1.10 |",
        f"| client CPU, whole build of {articles} articles, median s | {statistics.median(client_cpu):.2f} | |",
        f"| client CPU of a one-article cluster build (start-up, Dask import, connection), median s | {fixed:.2f} | |",
        f"| client CPU per article (the difference over {articles - 1} articles), ms | {per_article_cpu * 1000:.2f} | |",
        f"| client CPU per article with Dask's import and the connection spread over {articles}, ms | {with_start_up * 1000:.1f} | |",
        f"| client wall time in send + receive + write stages per article, ms | {client_stage * 1000:.1f} | |",
        f"| worker render time per article, s | {render:.3f} | |",
        f"| workers one client keeps busy (render / client CPU per article) | {kept_busy:.0f} | ≥ 100 |",
        f"| load average (1 min) at the end | {os.getloadavg()[0]:.2f} | |",
    ] + (
        [
            f"| client instructions per article (callgrind, the difference over {articles - 1} articles), M | {counted[0] / 1e6:.2f} | |",
            f"| client instructions of a one-article cluster build, M | {counted[1] / 1e6:.0f} | |",
        ]
        if counted
        else []
    )


def scale_curve(sizes: list[int], work: Path, runs: int) -> list[str]:
    lines = [
        "| articles | no-op s | no-op ms per article | one edit s | goal |",
        "| ---: | ---: | ---: | ---: | --- |",
    ]
    for size in sizes:
        print(f"scale: {size} articles", file=sys.stderr)
        folder = work / f"scale-{size}"
        project = folder if (folder / "content").is_dir() else make_project(folder, size, tail=EVERY_CHARACTER)  # kept with --work
        run(project, "content", "--format", "html", "-q")  # the first build (not timed)
        noops = [run(project, "content", "--format", "html", "-q")[0] for _ in range(runs)]
        edits = []
        for attempt in range(runs):
            edited = project / "content" / f"article-{attempt:04d}.md"
            # An edit that brings no character the page did not show (digits are in every font
            # subset): the web edition's fonts come from the cache, as after most edits.
            edited.write_text(edited.read_text(encoding="utf-8") + f"\nedited {attempt}.\n", encoding="utf-8")
            edits.append(run(project, "content", "--format", "html", "-q")[0])
        noop, edit = statistics.median(noops), statistics.median(edits)
        print(
            f"  no-op {[round(t, 3) for t in noops]}, one edit {[round(t, 3) for t in edits]}, load {os.getloadavg()[0]:.2f}",
            file=sys.stderr,
        )
        lines.append(f"| {size} | {noop:.3f} | {noop / size * 1000:.2f} | {edit:.3f} | no-op ≤ 1 ms per article, edit ≤ 1 s at 2000 |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="100,1000,2000", help="project sizes of the scale curve ('' to skip)")
    parser.add_argument("--only", default="cs", help="c: cluster comparison, s: scale curve")
    parser.add_argument(
        "--instructions", action="store_true", help="also count the client's instructions per article with valgrind (~2 minutes more)"
    )
    parser.add_argument(
        "--work", type=Path, help="keep the scale curve's projects in this folder and reuse them (their first build is long)"
    )
    args = parser.parse_args()
    if args.instructions and not shutil.which("valgrind"):
        sys.exit("--instructions counts with valgrind, which is not installed (Debian: apt install valgrind)")
    print(f"load average at start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="pressroom-cluster-bench-") as temporary:
        work = Path(temporary)
        if "c" in args.only:
            print("\n".join(cluster_comparison(args.articles, args.runs, work, args.instructions)) + "\n")
        if "s" in args.only and args.scale:
            print("\n".join(scale_curve([int(n) for n in args.scale.split(",")], args.work or work, args.runs)))
    print(f"load average at end: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    main()
