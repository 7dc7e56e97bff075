"""Hostile and malformed articles, one case per kind, each with its exact outcome.

Every case is built in a project folder next to a secret file and a listening local server: no
output may contain the secret, no request may reach the server, no EPUB may contain a script,
and every EPUB that is written must pass EPUBCheck.
"""

from __future__ import annotations

import http.server
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdf
import pytest
from helpers import assert_epubcheck_clean, glyphs_outside_margins, pdf_text, run_cli

SECRET = "TOP-SECRET-7f3a9c"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1a7b50000000049454e44ae426082"
)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@dataclass
class Case:
    """An article (with extra files), and what building it must give."""

    name: str
    markdown: str | bytes
    code: int
    errors: list[str] = field(default_factory=list)  # exact stderr lines that must appear
    files: dict[str, bytes] = field(default_factory=dict)
    check: Callable[[Path], None] | None = None  # extra assertions on the output folder


def secret_png_outside(project: Path) -> None:
    (project.parent / "secret.png").write_bytes(PNG + SECRET.encode())


def no_fonts_fell_back(out: Path) -> None:
    assert glyphs_outside_margins(out / "article.pdf") == []


CASES = [
    Case("parent path", "# T\n\n![x](../secret.png)\n", 1,
         ["article.md:3: error: image '../secret.png' is outside the project folder"]),
    Case("file url", "# T\n\n![x](file:///etc/passwd)\n", 1,
         ["article.md:3: error: image 'file:///etc/passwd' uses a file: URL; write a path relative to the article"]),
    Case("absolute path", "# T\n\n![x](/etc/hostname)\n", 1,
         ["article.md:3: error: image '/etc/hostname' is an absolute path; write a path relative to the article"]),
    Case("symlink outside", "# T\n\n![x](link.png)\n", 1,
         ["article.md:3: error: image 'link.png' is outside the project folder"]),
    Case("raw html image outside", '# T\n\n<p><img src="../secret.png" alt="s"></p>\n', 1,
         ["article.md:3: error: image '../secret.png' is outside the project folder"]),
    Case("attachments", '# T\n\n<link rel="attachment" href="../secret.png">\n\n'
         '<a rel="attachment" href="../secret.png">file</a>\n', 0,
         ["article.md:3: warning: raw HTML <link> removed (not allowed in a handout)",
          "article.md:5: warning: attribute 'rel' removed from <a>"]),
    Case("remote image", "# T\n\n![remote](SERVER/pixel.png)\n", 0,
         ["article.md:3: warning: remote image 'SERVER/pixel.png' not used: remote fetching is off "
          "(set allow_remote = true in [tool.pressroom] to allow it); its alt text stands in"]),
    Case("css fetches", '# T\n\n<style>@import url(SERVER/a.css); body { background: url(file:///etc/passwd) }</style>\n\n'
         '<p style="background-image: url(SERVER/b.png); color: red">styled</p>\n', 0,
         ["article.md:3: warning: raw HTML <style> and its content removed (not allowed in a handout)"]),
    Case("scripts and handlers", '# T\n\n<script>alert(1)</script>\n\n<p onclick="x()" onmouseover="y()">p</p>\n\n'
         '[j](javascript:alert(1))\n\n<iframe src="SERVER/f"></iframe><object data="x"></object><embed src="y">\n\n'
         '<form action="SERVER/f"><input name="q"></form>\n\n<meta http-equiv="refresh" content="0;url=SERVER/m">\n', 0,
         ["article.md:3: warning: raw HTML <script> and its content removed (not allowed in a handout)",
          "article.md:5: warning: attribute 'onclick' removed from <p>",
          "article.md:7: warning: javascript: URL removed from <a>",
          "article.md:9: warning: raw HTML <iframe> and its content removed (not allowed in a handout)",
          "article.md:11: warning: raw HTML <form> and its content removed (not allowed in a handout)",
          "article.md:13: warning: raw HTML <meta> removed (not allowed in a handout)"]),
    Case("svg with script", "# T\n\n![diagram](d.svg)\n", 0,
         ["article.md:3: warning: SVG image 'd': removed <script>, onload attribute, reference to 'SERVER/x.png'"],
         files={"d.svg": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                b'width="10" height="10" onload="alert(1)"><script>alert(2)</script>'
                b'<image xlink:href="SERVER/x.png" width="5" height="5"/><rect width="5" height="5"/></svg>'}),
    Case("template code in content", '---\ntitle: "{{ 7*7 }}"\n---\n\n{% include "x" %} {{ config }}\n', 0, []),
    Case("unparsable yaml", "---\ntitle: [oops\n---\n\nx\n", 1,
         ["article.md:2: error: invalid YAML in front matter: expected ',' or ']', but got '<stream end>' "
          "(while parsing a flow sequence)"]),
    Case("wrong type", "---\ntitle: T\nauthor: [[x]]\n---\n\nx\n", 1,
         ["article.md:3: error: 'author[1]' must be a name or a mapping with name, affiliation, email and orcid, not a list"]),
    Case("unknown key", "---\ntitle: T\nautor: Ann\n---\n\nx\n", 0,
         ["article.md:3: warning: unknown key 'autor' ignored (did you mean 'author'?)"]),
    Case("not utf-8", b"# Caf\xe9\n\nx\n", 1,
         ["article.md:1: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8, e.g. iconv -f latin1 -t utf-8"]),
    Case("bom and crlf", "\ufeff---\r\ntitle: T\r\n---\r\n\r\nWindows text.\r\n".encode(), 0, []),
    Case("empty file", "", 1, ["article.md:1: error: the file is empty: there is nothing to build"]),
    Case("front matter only", "---\ntitle: Only a title\n---\n", 0, []),
    Case("missing image", "# T\n\nText.\n\n![x](img/none.png)\n", 1, ["article.md:5: error: image not found: img/none.png"]),
    Case("broken internal link", "# T\n\nSee [below](#nowhere).\n", 0,
         ["article.md:3: warning: link to '#nowhere' has no matching heading or anchor; kept as text"]),
    Case("deep quotes", "# T\n\n" + ">" * 600 + " deep\n", 1,
         ["article.md:3: error: blocks nested more than 100 levels deep; flatten the structure"]),
    Case("deep html", "# T\n\n" + "<div>" * 400 + "x" + "</div>" * 400 + "\n", 1,
         ["article.md:3: error: blocks nested more than 100 levels deep; flatten the structure"]),
    Case("deep lists", "# T\n\n" + "".join("  " * i + "- item\n" for i in range(300)), 1,
         ["article.md:104: error: blocks nested more than 100 levels deep; flatten the structure"]),
    Case("long word and url", "# T\n\n" + "x" * 3000 + "\n\nhttps://example.com/" + "a/" * 400 + "\n\n`" + "y" * 500 + "`\n", 0, [],
         check=no_fonts_fell_back),
    # Scripts none of the fonts the build's machines install draws (fonts-noto-core has Adlam and
    # Linear B, not Tangsa or the Khitan small script): an error, nothing written.
    Case("scripts the fonts lack", "# T\n\nTangsa \U00016a70 and Khitan \U00018b00.\n", 1,
         ["article.md:3: error: 2 character(s) are in no installed font and would print as boxes: \U00016a70 (U+16A70)"
          " \U00018b00 (U+18B00); install a font that has them, or set allow_missing_glyphs: true"
          " (or --allow-missing-glyphs) to print the boxes"]),
    Case("too large", "# T\n\n" + "word " * 900_000 + "\n", 1,
         ["article.md: error: the article is 4.3 MB; the limit is 4 MB: split it into several articles"]),
    Case("control characters and entities", "# T\n\nBell\x07 &copy; &nbsp; &bogus; <b>unclosed <i>tags\n\n"
         '<p id="x">a</p><p id="x">b</p>\n', 0,
         ["article.md:3: warning: control characters removed (they are not allowed in XHTML)"]),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input(case: Case, tmp_path: Path, server: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.pressroom]\n")
    secret_png_outside(project)
    (project / "link.png").symlink_to(project.parent / "secret.png")
    for name, data in case.files.items():
        (project / name).write_bytes(data.replace(b"SERVER", server.encode()))
    text = case.markdown.replace("SERVER", server) if isinstance(case.markdown, str) else case.markdown
    (project / "article.md").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    _Recorder.requests.clear()

    run = run_cli("article.md", "--out", "out", cwd=project)

    lines = run.err.splitlines()
    expected = [line.replace("SERVER", server) for line in case.errors]
    assert "Traceback" not in run.err
    assert run.code == case.code, run.err
    for line in expected:
        assert line in lines, f"{line!r} not in\n{run.err}"
    assert _Recorder.requests == []
    out = project / "out"
    for output in sorted(out.iterdir()) if out.exists() else []:
        data = output.read_bytes()
        assert SECRET.encode() not in data
        if output.suffix == ".epub":
            with zipfile.ZipFile(output) as archive:
                for name in archive.namelist():
                    content = archive.read(name)
                    assert SECRET.encode() not in content
                    if name.endswith((".xhtml", ".svg")):
                        assert not re.search(rb"<script|\son\w+=|javascript:", content), name
            assert_epubcheck_clean(output)
        if output.suffix == ".pdf":
            reader = pypdf.PdfReader(output)
            assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
            assert SECRET not in "".join(pdf_text(output))
    if case.code == 0:
        assert sorted(p.name for p in out.iterdir()) == ["article.epub", "article.pdf"]
    else:
        assert not out.exists() or list(out.iterdir()) == []
    if case.check:
        case.check(out)
