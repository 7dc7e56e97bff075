"""Pressroom against Pandoc 3, side by side, on the same Markdown (see benchmarks/README.md).

Run from the repository root: ``.venv/bin/python benchmarks/run.py [--quick] [--runs N]``.
Every build runs in a fresh child process inside a temporary project (a copy of the seed
project's pyproject.toml; the built-in layouts), so nothing in the repository is written to. Each run's
outputs are checked (present, newer than the run, a real PDF or EPUB); a failed build stops the
benchmark with the command and the end of its log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import article_text, long_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
BUILD = ROOT / "build.py"
WEASYPRINT = VENV_BIN / "weasyprint"
SEED = ROOT / "content" / "professional-organizations.md"
FORMATS = ("pdf", "epub")
MTIME_SLACK = 0.05  # file times come from the kernel's coarse clock: a few ms behind time.time()


class BenchmarkError(RuntimeError):
    """A build failed or did not produce what it should have: the numbers would be meaningless."""


@dataclass(frozen=True)
class Sample:
    """One timed run: wall-clock seconds and the largest resident set of any process in it."""

    seconds: float
    peak_kb: int


@dataclass(frozen=True)
class Target:
    """A scenario's goal: a ratio ours/Pandoc, or seconds for Pressroom alone."""

    value: float
    absolute: bool

    def met(self, ours: float, theirs: float | None) -> bool:
        if self.absolute:
            return ours <= self.value
        return theirs is not None and ours / theirs <= self.value

    def __str__(self) -> str:
        return f"<= {self.value:g} s" if self.absolute else f"ratio <= {self.value:g}"


TARGETS = {
    "a": Target(0.7, False),
    "b": Target(0.15, False),
    "c": Target(0.25, True),
    "d": Target(0.8, False),
    "e": Target(0.5, True),
}


@dataclass
class Row:
    """One scenario's results for both tools."""

    key: str
    title: str
    ours: list[Sample] = field(default_factory=list)
    theirs: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    available: bool = True

    @property
    def ours_median(self) -> float:
        return statistics.median(s.seconds for s in self.ours)

    @property
    def theirs_median(self) -> float | None:
        return statistics.median(s.seconds for s in self.theirs) if self.theirs else None

    def paired_ratios(self) -> list[float]:
        """Ours/Pandoc for each run, where the two tools ran one right after the other (a ratio
        target): on a machine whose speed drifts, steadier than the ratio of the medians."""
        if TARGETS[self.key].absolute or len(self.ours) != len(self.theirs):
            return []
        return [ours.seconds / theirs.seconds for ours, theirs in zip(self.ours, self.theirs, strict=True)]

    def cells(self) -> list[str]:
        """The table cells, in column order."""
        target = TARGETS[self.key]
        label = f"({self.key}) {self.title}"
        if not self.available:
            return [label, "not available", "-", "-", "-", "-", str(target), "-"]
        ours, theirs = self.ours_median, self.theirs_median
        return [
            label,
            f"{ours:.3f}",
            f"{theirs:.3f}" if theirs is not None else "-",
            f"{ours / theirs:.2f}" if theirs else "-",
            f"{max(s.peak_kb for s in self.ours) / 1024:.0f}",
            f"{max(s.peak_kb for s in self.theirs) / 1024:.0f}" if self.theirs else "-",
            str(target),
            "yes" if target.met(ours, theirs) else "no",
        ]


@dataclass
class Bench:
    """Settings and tools shared by every scenario."""

    runs: int
    articles: int
    jobs: int
    doc_bytes: int
    seed: int
    work: Path
    pandoc: Path
    has_jobs: bool
    has_watch: bool
    env: dict[str, str]

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"


# --- processes ------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The environment for every child: the venv's weasyprint first on PATH (Pandoc calls it)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run(cmd: Sequence[str | Path], cwd: Path, log: Path, env: dict[str, str]) -> Sample:
    """Run ``cmd`` to completion; its wall time and max RSS (itself and every child it waited for)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"$ {' '.join(map(str, cmd))}\n".encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchmarkError(f"exit status {proc.returncode}: {' '.join(map(str, cmd))}\n(cwd {cwd})\n{tail(log)}")
    return Sample(seconds, usage.ru_maxrss)


def combine(samples: Sequence[Sample]) -> Sample:
    """Processes run one after the other: times add up, the peak is the largest."""
    return Sample(sum(s.seconds for s in samples), max(s.peak_kb for s in samples))


def pressroom_help() -> str:
    return subprocess.run([str(PYTHON), str(BUILD), "--help"], capture_output=True, text=True, check=True).stdout


def find_pandoc() -> Path:
    """The pandoc binary that the pypandoc-binary wheel ships."""
    try:
        import pypandoc
    except ImportError:
        raise SystemExit("benchmarks need Pandoc: .venv/bin/pip install pypandoc-binary==1.17") from None
    return Path(pypandoc.get_pandoc_path())


def version_of(cmd: Sequence[str | Path]) -> str:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=child_env())
    return (result.stdout or result.stderr).splitlines()[0].strip() if result.returncode == 0 else "unknown"


# --- inputs and outputs ---------------------------------------------------------------------


def make_project(dest: Path, articles: dict[str, str] | None = None) -> Path:
    """A Pressroom project in ``dest``: the repo's settings (the layouts are Pressroom's built-in
    ones), and the seed content or ``articles`` (file name → Markdown) in content/."""
    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    if articles is None:
        shutil.copytree(ROOT / "content", dest / "content")
    else:
        (dest / "content").mkdir()
        for name, text in articles.items():
            (dest / "content" / name).write_text(text, encoding="utf-8")
    return dest


def sources_of(project: Path) -> list[Path]:
    return sorted((project / "content").rglob("*.md"))


def expected_outputs(sources: Sequence[Path], out_dir: Path) -> list[Path]:
    """``<stem>.pdf`` and ``<stem>.epub`` per article (the benchmark's articles set no ``slug``)."""
    return [out_dir / f"{source.stem}.{fmt}" for source in sources for fmt in FORMATS]


def check_outputs(paths: Sequence[Path], since: float) -> None:
    """Fail loudly unless every path is a non-empty PDF or EPUB written at or after ``since``."""
    for path in paths:
        if not path.is_file():
            found = sorted(p.name for p in path.parent.glob("*")) if path.parent.is_dir() else []
            raise BenchmarkError(f"missing output {path} (found: {', '.join(found[:10]) or 'nothing'})")
        status = path.stat()
        if status.st_size == 0 or status.st_mtime < since - MTIME_SLACK:
            raise BenchmarkError(f"{path} is empty or was not written by this run")
        if path.suffix == ".pdf":
            with path.open("rb") as stream:
                if not stream.read(5) == b"%PDF-":
                    raise BenchmarkError(f"{path} is not a PDF")
        else:
            with zipfile.ZipFile(path) as epub:
                if epub.namelist()[0] != "mimetype" or epub.read("mimetype") != b"application/epub+zip":
                    raise BenchmarkError(f"{path} is not an EPUB")


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def pressroom(bench: Bench, project: Path, args: Sequence[str], log: str) -> Sample:
    """One ``build.py`` process in ``project``."""
    return run([PYTHON, BUILD, *args], project, bench.log(log), bench.env)


def pandoc_article(bench: Bench, source: Path, out_dir: Path, log: str) -> Sample:
    """Pandoc's equivalent of one article: a PDF through WeasyPrint, then an EPUB."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf: list[str | Path] = [bench.pandoc, "-f", "markdown", source, "--pdf-engine=weasyprint"]
    pdf += ["-o", out_dir / f"{source.stem}.pdf"]
    epub: list[str | Path] = [bench.pandoc, "-f", "markdown", source, "-o", out_dir / f"{source.stem}.epub"]
    return combine([run(cmd, source.parent, bench.log(log), bench.env) for cmd in (pdf, epub)])


def pandoc_many(bench: Bench, sources: Sequence[Path], out_dir: Path, log: str, jobs: int) -> Sample:
    """Every article through Pandoc with ``jobs`` at once; wall time of the lot."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        samples = list(pool.map(lambda s: pandoc_article(bench, s, out_dir, f"{log}-{s.stem}"), sources))
    return Sample(time.perf_counter() - start, max(s.peak_kb for s in samples))


def load() -> str:
    """The 1/5/15-minute load averages: numbers taken on a busy machine are not comparable."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def shown(label: str, sample: Sample) -> Sample:
    """Print one run's figures as they come in."""
    say(f"    {label:<9} {sample.seconds:8.3f} s  {sample.peak_kb / 1024:6.0f} MB")
    return sample


# --- scenarios ------------------------------------------------------------------------------


def scenario_a(bench: Bench) -> Row:
    """The seed article in a cold process: one build.py run against two pandoc runs."""
    row = Row("a", "seed article, cold, pdf+epub")
    for i in range(bench.runs):
        say(f"  run {i + 1}/{bench.runs}")
        project = make_project(bench.work / f"a{i}")
        source = project / "content" / SEED.name
        start = time.time()
        row.ours.append(shown("pressroom", pressroom(bench, project, [f"content/{SEED.name}", "--out", "tmp"], f"a{i}")))
        check_outputs(expected_outputs([source], project / "tmp"), start)
        start = time.time()
        row.theirs.append(shown("pandoc", pandoc_article(bench, source, project / "pandoc", f"a{i}-pandoc")))
        check_outputs(expected_outputs([source], project / "pandoc"), start)
    return row


def scenario_b(bench: Bench) -> Row:
    """A generated corpus: Pressroom -j N against a pool of N Pandoc workers."""
    row = Row("b", f"{bench.articles} articles, -j {bench.jobs}")
    texts = {f"article-{i + 1:03d}.md": article_text(i, bench.seed) for i in range(bench.articles)}
    sizes = [len(t.encode()) for t in texts.values()]
    row.notes.append(f"corpus: {bench.articles} articles, {min(sizes)}-{max(sizes)} bytes, {sum(sizes) // 1024} KB in all")
    args = ["content", "--out", "out"]
    if bench.has_jobs:
        args += ["-j", str(bench.jobs)]
    else:
        row.notes.append("build.py has no -j/--jobs: Pressroom ran its plain multi-file build")
    for i in range(bench.runs):
        say(f"  run {i + 1}/{bench.runs}")
        project = make_project(bench.work / f"b{i}", texts)
        sources = sources_of(project)
        start = time.time()
        row.ours.append(shown("pressroom", pressroom(bench, project, args, f"b{i}")))
        check_outputs(expected_outputs(sources, project / "out"), start)
        start = time.time()
        row.theirs.append(shown("pandoc", pandoc_many(bench, sources, project / "pandoc", f"b{i}-pandoc", bench.jobs)))
        check_outputs(expected_outputs(sources, project / "pandoc"), start)
    return row


def scenario_c(bench: Bench) -> Row:
    """A second build of the seed project with nothing changed; Pandoc can only rebuild it all."""
    row = Row("c", "no-op rebuild of seed project")
    project = make_project(bench.work / "c")
    sources = sources_of(project)
    outputs = expected_outputs(sources, project / "dist")
    start = time.time()
    say("  first build (not timed)")
    pressroom(bench, project, [], "c-first")
    check_outputs(outputs, start)
    before = {p: p.stat().st_mtime_ns for p in outputs}
    for i in range(bench.runs):
        say(f"  run {i + 1}/{bench.runs}")
        row.ours.append(shown("pressroom", pressroom(bench, project, [], f"c{i}")))
        check_outputs(outputs, 0)
        if any(p.stat().st_mtime_ns != before[p] for p in outputs):
            row.notes.append(f"(c) run {i + 1}: Pressroom rewrote its outputs: not a no-op")
            before = {p: p.stat().st_mtime_ns for p in outputs}
        start = time.time()
        row.theirs.append(shown("pandoc", pandoc_many(bench, sources, project / "pandoc", f"c{i}-pandoc", 1)))
        check_outputs(expected_outputs(sources, project / "pandoc"), start)
    row.notes.append("(c) Pandoc column: a full rebuild of the same project (Pandoc has no cache)")
    return row


def scenario_d(bench: Bench) -> Row:
    """One long generated document, PDF and EPUB."""
    text = long_document(bench.doc_bytes, bench.seed)
    row = Row("d", f"{len(text.encode()) // 1000} KB document, pdf+epub")
    for i in range(bench.runs):
        say(f"  run {i + 1}/{bench.runs}")
        project = make_project(bench.work / f"d{i}", {"handbook.md": text})
        source = project / "content" / "handbook.md"
        start = time.time()
        row.ours.append(shown("pressroom", pressroom(bench, project, ["content/handbook.md", "--out", "out"], f"d{i}")))
        check_outputs(expected_outputs([source], project / "out"), start)
        start = time.time()
        row.theirs.append(shown("pandoc", pandoc_article(bench, source, project / "pandoc", f"d{i}-pandoc")))
        check_outputs(expected_outputs([source], project / "pandoc"), start)
        if i == 0:
            ours, theirs = pdf_pages(project / "out" / "handbook.pdf"), pdf_pages(project / "pandoc" / "handbook.pdf")
            row.notes.append(f"(d) PDF pages: Pressroom {ours}, Pandoc {theirs}")
    return row


def cpu_ticks(pid: int) -> int:
    """User plus system clock ticks of a running process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_idle(proc: subprocess.Popen[bytes], outputs: Sequence[Path], log: Path, quiet: float = 0.6, timeout: float = 600) -> None:
    """Wait until the watcher's outputs exist and it has used (almost) no CPU for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchmarkError(f"build.py --watch exited with status {proc.returncode}\n{tail(log)}")
        ticks = cpu_ticks(proc.pid)
        if ticks - last > 2:  # a poll loop may cost a tick now and then; a build costs many
            last, still_since = ticks, time.monotonic()
        elif time.monotonic() - still_since >= quiet and all(p.is_file() for p in outputs):
            return
        time.sleep(0.1)
    raise BenchmarkError(f"build.py --watch did not settle within {timeout:.0f} s\n{tail(log)}")


def stop_watcher(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Ctrl-C the watcher; its max RSS in KB (killed if it does not stop)."""
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
            timeout, deadline = 0, float("inf")
        time.sleep(0.05)


def scenario_e(bench: Bench) -> Row:
    """build.py --watch: from appending a sentence to both outputs being replaced."""
    row = Row("e", "watch: edit to both outputs")
    if not bench.has_watch:
        row.available = False
        row.notes.append("(e) build.py --help lists no --watch: not available")
        return row
    project = make_project(bench.work / "e")
    source = project / "content" / SEED.name
    outputs = expected_outputs([source], project / "dist")
    log = bench.log("e-watch")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        watcher = [str(PYTHON), str(BUILD), "--watch"]
        proc = subprocess.Popen(watcher, cwd=project, stdout=out, stderr=subprocess.STDOUT, env=bench.env)
    latencies: list[float] = []
    try:
        say("  waiting for the watcher's first build")
        wait_idle(proc, outputs, log)
        for i in range(bench.runs):
            before = {p: p.stat().st_mtime_ns for p in outputs}
            start_wall = time.time()
            start = time.perf_counter()
            with source.open("a", encoding="utf-8") as stream:
                stream.write(f"\nOne more sentence for watch benchmark run {i + 1}.\n")
            deadline = start + 300
            while any(p.stat().st_mtime_ns == before[p] for p in outputs):
                if proc.poll() is not None or time.perf_counter() > deadline:
                    raise BenchmarkError(f"build.py --watch did not rewrite {', '.join(map(str, outputs))}\n{tail(log)}")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - start)
            say(f"  run {i + 1}/{bench.runs}\n    pressroom {latencies[-1]:8.3f} s")
            check_outputs(outputs, start_wall)
            wait_idle(proc, outputs, log)
    finally:
        peak = stop_watcher(proc)
    row.ours = [Sample(seconds, peak) for seconds in latencies]
    say("  pandoc: full rebuild of the edited article")
    for i in range(bench.runs):
        start = time.time()
        row.theirs.append(shown("pandoc", pandoc_article(bench, source, project / "pandoc", f"e{i}-pandoc")))
        check_outputs(expected_outputs([source], project / "pandoc"), start)
    row.notes.append("(e) Pandoc column: a full build of the edited article (Pandoc has no watch mode)")
    return row


SCENARIOS: dict[str, Callable[[Bench], Row]] = {
    "a": scenario_a,
    "b": scenario_b,
    "c": scenario_c,
    "d": scenario_d,
    "e": scenario_e,
}


# --- report ---------------------------------------------------------------------------------

HEADER = ["scenario", "pressroom median s", "pandoc median s", "ratio", "pressroom peak MB", "pandoc peak MB", "target", "met"]


def table(rows: Sequence[Row]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(r[c]) for r in cells) for c in range(len(HEADER))]

    def line(r: list[str]) -> str:
        return " | ".join(v.ljust(w) if c in (0, 6) else v.rjust(w) for c, (v, w) in enumerate(zip(r, widths, strict=True)))

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Time Pressroom against Pandoc 3 (PDF through WeasyPrint, EPUB).")
    p.add_argument("--runs", type=int, help="runs per scenario; the median is reported (default 3, --quick 1)")
    p.add_argument("--quick", action="store_true", help="a fast check: 1 run, a 20-article corpus")
    p.add_argument("--articles", type=int, help="articles in scenario (b) (default 100, --quick 20)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallelism in (b) (default: the core count)")
    p.add_argument("--doc-kb", type=int, default=300, help="size of the long document in (d), KB (default 300)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated Markdown (default 1)")
    p.add_argument("--only", default="abcde", help="scenarios to run, e.g. 'ac' (default: abcde)")
    p.add_argument("--keep", action="store_true", help="keep the temporary projects and logs")
    args = p.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.articles = args.articles or (20 if args.quick else 100)
    unknown = set(args.only) - set(SCENARIOS)
    if unknown or args.runs < 1 or args.articles < 1 or args.jobs < 1:
        p.error(f"--only takes letters from {''.join(SCENARIOS)}; --runs, --articles and --jobs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    for needed in (PYTHON, BUILD, WEASYPRINT, SEED):
        if not needed.exists():
            raise SystemExit(f"missing {needed}: run `make` first")
    # As `make` leaves the checkout: WeasyPrint's C declarations precompiled for cffi
    # (pressroom/accel/ffi.py), and Pressroom's own modules byte-compiled. An editable install
    # leaves them uncompiled, and PYTHONDONTWRITEBYTECODE would keep every timed run compiling
    # them again: compile them once, as pip does for the installed packages (WeasyPrint's among
    # them) that both tools load.
    subprocess.run([str(PYTHON), "-m", "pressroom.accel.ffi"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "pressroom")], check=True)
    # And as any earlier build on this machine leaves the user's cache: the English hyphenation
    # patterns parsed and kept (pressroom/accel/hyphenation.py), so that no timed run depends on
    # whether it was the first one ever.
    keep = "from pressroom.accel.hyphenation import patterns_for; patterns_for('en')"
    subprocess.run([str(PYTHON), "-c", keep], check=True, cwd=ROOT)
    help_text = pressroom_help()
    work = Path(tempfile.mkdtemp(prefix="pressroom-bench-"))
    bench = Bench(
        runs=args.runs,
        articles=args.articles,
        jobs=args.jobs,
        doc_bytes=args.doc_kb * 1000,
        seed=args.seed,
        work=work,
        pandoc=find_pandoc(),
        has_jobs="--jobs" in help_text or "-j N" in help_text,
        has_watch="--watch" in help_text,
        env=child_env(),
    )
    began = time.perf_counter()
    say(f"{version_of([bench.pandoc, '--version'])}; {version_of([WEASYPRINT, '--version'])}; "
        f"{os.cpu_count()} cores; {bench.runs} run(s); load {load()}; work folder {work}")  # fmt: skip
    rows: list[Row] = []
    try:
        for key in sorted(set(args.only)):
            say(f"({key}) {(SCENARIOS[key].__doc__ or '').strip().splitlines()[0]}")
            rows.append(SCENARIOS[key](bench))
    except BenchmarkError as exc:
        say(f"benchmark failed: {exc}\nlogs kept in {work / 'logs'}")
        return 1
    finally:
        if args.keep:
            say(f"kept {work}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows))
    print()
    for row in rows:
        for note in row.notes:
            print(f"note: {note}")
        pairs = row.paired_ratios()
        if len(pairs) > 1:
            shown = ", ".join(f"{ratio:.2f}" for ratio in pairs)
            print(f"note: ({row.key}) ratio of each run's pair: {shown} (median {statistics.median(pairs):.2f})")
    print(f"{bench.runs} run(s) per scenario; total time {time.perf_counter() - began:.0f} s; load at the end {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
