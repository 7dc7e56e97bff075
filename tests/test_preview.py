"""Live preview: the web edition served, reloaded in the browser by a save, errors in the page."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import node_tool, start_build, terminate, write_article


def started(folder: Path, *args: str, command: tuple[str, ...] = ("preview",)) -> tuple[subprocess.Popen[str], str]:
    """``build.py preview ARGS`` in ``folder``, and the address it prints."""
    server = start_build(folder, *command, "-q", *args)
    line = server.stdout.readline() if server.stdout else ""
    assert line.startswith("serving http://"), line + terminate(server)
    return server, line.split()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_until_built(url: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, page = fetch(url)
        if status == 200 and text in page:
            return page
        time.sleep(0.1)
    raise AssertionError(f"{url} never showed {text!r}: {page}")


def test_preview_serves_each_article_with_its_downloads_and_an_index(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf"]\n')
    write_article(tmp_path / "content", "---\ntitle: Served\nslug: served-page\n---\n\nHello from the preview.\n", "a.md")
    server, address = started(tmp_path, "--port", "0", command=("--serve",))  # build.py --serve: the same
    try:
        page = wait_until_built(address + "served-page/", "Hello from the preview.")
        assert 'href="../served-page.pdf"' in page and "EventSource" in page
        assert fetch(address + "served-page.pdf")[1].startswith("%PDF-")
        head = urllib.request.urlopen(urllib.request.Request(address + "served-page.pdf", method="HEAD"), timeout=30)
        assert head.status == 200 and head.headers["Content-Type"] == "application/pdf" and head.read() == b""
        # the index lists an article once its result is recorded, just after its files are in place
        index = wait_until_built(address, 'href="/served-page/"')
        assert 'href="/served-page.pdf"' in index
        assert fetch(address + "../pyproject.toml")[0] == 404 and fetch(address + "missing/")[0] == 404
    finally:
        terminate(server)
    assert "<script" not in (tmp_path / "dist" / "served-page" / "index.html").read_text()  # dist/ as a build writes it


def test_a_saved_change_reloads_the_open_page_and_an_error_shows_in_it(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("PRESSROOM_REQUIRE_TOOLS"):
        pytest.skip("Debian's chromium is not installed")
    node_tool("puppeteer")
    node = shutil.which("node")
    assert node, "node is not installed"
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf", "epub"]\n')
    article = write_article(tmp_path / "content", "# Live\n\nThe first text.\n", "live.md")
    server, address = started(tmp_path)
    browser = None
    try:
        wait_until_built(address + "live/", "The first text.")
        browser = subprocess.Popen(
            [node, str(Path(__file__).parent / "preview_check.js"), address + "live/"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            env={**os.environ, "NODE_PATH": str(Path(__file__).resolve().parent.parent / "node_modules")},
        )  # fmt: skip
        assert browser.stdin and browser.stdout
        assert browser.stdout.readline().strip() == "ready"

        def save_and_see(text: str, wanted: str) -> int:
            assert browser and browser.stdin and browser.stdout
            article.write_text(text, encoding="utf-8")
            browser.stdin.write(wanted + "\n")
            reply = browser.stdout.readline().strip()
            assert reply.startswith("seen "), reply
            return int(reply.split()[1])

        first = save_and_see("# Live\n\nThe second text, saved.\n", "The second text, saved.")
        save_and_see("---\ntitle: [broken\n---\n\nText.\n", "content/live.md:2: error: invalid YAML in front matter")
        save_and_see("# Live\n\nThe third text, fixed.\n", "The third text, fixed.")
        assert first < 15000  # saved → page reloaded with the new text: about 0.7 s on a quiet machine (a loose bound: CI may be busy)
    finally:
        if browser:
            browser.stdin and browser.stdin.close()
            browser.wait(timeout=60)
        terminate(server)
