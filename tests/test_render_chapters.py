"""Long articles are split into one EPUB file per top-level section; everything still links."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from helpers import NS, assert_epubcheck_clean, run_cli, write_article
from lxml import etree


def manual(sections: int = 40) -> str:
    parts = ["# The Long Manual\n\nThis manual cross-links its sections: see [the last one](#section-39).\n"]
    for i in range(sections):
        body = " ".join(f"Sentence {j} of section {i} explains one more detail of the system." for j in range(55))
        parts.append(
            f"## Section {i}\n\n{body}[^n{i}]\n\n### Details of {i}\n\n{body}\n\n"
            f"- back to [section 0](#section-0)\n- on to [section {(i + 1) % sections}](#section-{(i + 1) % sections})\n"
        )  # fmt: skip
    parts.append("\n".join(f"[^n{i}]: Note for section {i}." for i in range(sections)))
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def long_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("long")
    source = write_article(folder, manual(), "manual.md")
    assert len(source.read_bytes()) > 250_000
    run = run_cli(source, "--out", folder / "out", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert run.code == 0, run.err
    return folder / "out" / "manual.epub", folder / "out" / "manual.pdf"


def test_a_long_article_becomes_one_file_per_top_level_section(long_build) -> None:
    epub, _ = long_build
    with zipfile.ZipFile(epub) as archive:
        chapters = sorted(n for n in archive.namelist() if re.fullmatch(r"EPUB/chapter-\d+\.xhtml", n))
        sizes = [archive.getinfo(n).file_size for n in chapters]
    assert len(chapters) == 41  # the introduction, then one file per "##" section
    assert max(sizes) < 250_000
    assert_epubcheck_clean(epub)


def test_links_notes_toc_and_page_list_work_across_files(long_build) -> None:
    epub, pdf = long_build
    with zipfile.ZipFile(epub) as archive:
        files = {n.removeprefix("EPUB/"): etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")}
    ids = {name: {el.get("id") for el in root.iter() if el.get("id")} for name, root in files.items()}
    checked = 0
    for name, root in files.items():
        for link in root.iterfind(".//x:a[@href]", NS):
            href = link.get("href")
            if href.startswith(("http", "mailto")):
                continue
            target_file, _, fragment = href.partition("#")
            target_file = target_file or name
            assert target_file in files, href
            assert not fragment or fragment in ids[target_file], f"{name}: {href}"
            checked += 1
    assert checked > 200
    for root in files.values():  # each note sits in the file that refers to it
        for ref in root.iterfind(".//x:a[@epub:type='noteref']", NS):
            assert "#" == ref.get("href")[0], ref.get("href")
    toc = files["nav.xhtml"].findall(".//x:nav[@epub:type='toc']//x:a", NS)
    assert any(a.get("href").startswith("chapter-41.xhtml#section-39") for a in toc)


def test_page_list_of_a_split_article_matches_the_print(long_build, monkeypatch) -> None:
    import test_convert_pagemap as test_pagemap

    epub, pdf = long_build
    chapters = {}
    with zipfile.ZipFile(epub) as archive:
        for name in sorted(archive.namelist()):
            if re.fullmatch(r"EPUB/chapter-\d+\.xhtml", name):
                chapters[name] = etree.fromstring(archive.read(name))
    merged = etree.fromstring(b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>')
    for root in chapters.values():
        merged[0].append(root.find("x:body", NS))
    monkeypatch.setattr(test_pagemap, "epub_xml", lambda path, name: merged if "chapter" in name else _nav(epub))
    tops = test_pagemap.page_tops(pdf)
    after = test_pagemap.text_after_markers(epub)
    assert len(tops) > 50 and sorted(after) == list(range(1, len(tops) + 1))
    # page 1 prints the title block, which the EPUB keeps on its title page: its text follows the marker there
    mismatched = [n for n in after if n > 1 and after[n][:30] != tops[n - 1][:30]]
    assert after[1][:20] in tops[0]
    assert mismatched == []


def _nav(epub: Path):
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read("EPUB/nav.xhtml"))
