"""Reader packs: several articles in one PDF and one EPUB, each article still built alone."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import (
    FIXTURES,
    NS,
    SEED_ARTICLE,
    assert_epubcheck_clean,
    epub_xml,
    pdf_text,
    run_cli,
    squash,
)
from lxml import etree

PACK = """title: School Library Summit Reader
subtitle: Talks of the day
editor: [Ann Editor]
date: 2026-05-14
event: {name: School Library Summit, place: Lyon}
articles:
  - professional-organizations.md
  - docs/guide.md
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pack")
    (root / "pyproject.toml").write_text("[tool.pressroom]\n")
    content = root / "content"
    shutil.copytree(FIXTURES / "manual", content / "docs")
    shutil.copy(SEED_ARTICLE, content / SEED_ARTICLE.name)
    (content / "summit.pack.yaml").write_text(PACK)
    run = run_cli("--force", "-j", "1", cwd=root, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert run.code == 0, run.err
    assert run.out.splitlines()[-2:] == ["wrote dist/summit.pdf", "wrote dist/summit.epub"]
    assert (root / "dist" / "guide.pdf").exists() and (root / "dist" / "professional-organizations.epub").exists()
    return root / "dist"


def test_pdf_has_contents_with_page_numbers_and_each_article_on_a_new_page(pack: Path) -> None:
    pages = [page.replace("\u00a0", " ") for page in pdf_text(pack / "summit.pdf")]  # a title's last two words are kept together
    assert pages[0].startswith("School Library Summit Reader")
    contents = dict(
        re.findall(r"^(Why Joining.*?Specialists|Deploying the Widget Service) ?\.+ ?(\d+)$", pages[0], re.M | re.S)
    )  # an entry may wrap
    assert len(contents) == 2
    for title, number in contents.items():
        assert pages[int(number) - 1].lstrip().startswith(title.split()[0])
    guide_first = int(contents["Deploying the Widget Service"])
    assert "Professional Organizations" in pages[guide_first - 2].splitlines()[-1]  # footer names the article
    assert "Deploying the Widget Service" in pages[guide_first - 1].splitlines()[-1]
    guide_text = squash("".join(pages[guide_first - 1 :]))
    assert "1.Clusteringiscoveredinaseparateguide." in guide_text  # footnotes numbered per article


def test_epub_is_one_chapter_per_article_and_valid(pack: Path) -> None:
    epub = pack / "summit.epub"
    assert_epubcheck_clean(epub)
    with zipfile.ZipFile(epub) as archive:
        chapters = sorted(n for n in archive.namelist() if re.fullmatch(r"EPUB/chapter-\d+\.xhtml", n))
        roots = {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")}
    assert len(chapters) == 2
    all_ids = [el.get("id") for name in chapters for el in roots[name].iter() if el.get("id")]
    duplicated = {i for i in all_ids if all_ids.count(i) > 1} - {"start"}
    assert duplicated == set()
    toc = [a.text for a in epub_xml(epub, "EPUB/nav.xhtml").findall(".//x:nav[@epub:type='toc']/x:ol/x:li/x:ol/x:li/x:a", NS)]
    assert toc[0].startswith("Why Joining") and "Deploying the Widget Service" in toc
    pages = epub_xml(epub, "EPUB/nav.xhtml").findall(".//x:nav[@epub:type='page-list']//x:a", NS)
    assert len(pages) == len(pdf_text(pack / "summit.pdf"))
    files = {name.removeprefix("EPUB/"): root for name, root in roots.items()}
    for href in [a.get("href") for a in pages]:
        file, _, fragment = href.partition("#")
        assert any(el.get("id") == fragment for el in files[file].iter())


def test_a_pack_naming_a_missing_article_is_an_error_at_the_entry(tmp_path: Path) -> None:
    (tmp_path / "here.md").write_text("# Here\n\nText.\n")
    (tmp_path / "p.pack.yaml").write_text("title: P\narticles:\n  - here.md\n  - gone.md\n")
    run = run_cli("p.pack.yaml", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err.splitlines() == ["p.pack.yaml:4: error: article not found: gone.md", "1 of 1 reader pack failed"]


def test_the_pack_shows_its_editors_in_print_and_as_edt_creators_in_the_epub(pack: Path) -> None:
    assert "Edited by Ann Editor" in pdf_text(pack / "summit.pdf")[0]
    opf = epub_xml(pack / "summit.epub", "EPUB/content.opf")
    (creator,) = opf.findall(".//dc:creator", NS)
    assert creator.text == "Ann Editor"
    roles = opf.findall(f".//opf:meta[@refines='#{creator.get('id')}'][@property='role']", NS)
    assert [(r.text, r.get("scheme")) for r in roles] == [("edt", "marc:relators")]


def test_an_articles_error_is_printed_once_and_the_pack_counted_apart(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["epub"]\n')
    content = tmp_path / "content"
    content.mkdir()
    (content / "good.md").write_text("---\ntitle: Good\npaper: letter\nnotes_pages: 2\nfit_pages: 3\n---\n\nText.\n")
    (content / "bad.md").write_text("---\ntitle: [broken\n---\n")
    (content / "r.pack.yaml").write_text("title: R\narticles:\n  - good.md\n  - bad.md\n")
    run = run_cli(cwd=tmp_path)
    assert run.code == 1
    assert run.err.splitlines() == [
        "content/bad.md:2: error: invalid YAML in front matter: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
        "content/good.md:3: warning: 'paper' ignored inside the reader pack content/r.pack.yaml: the pack's layout applies to all its articles",
        "content/good.md:4: warning: 'notes_pages' ignored inside the reader pack content/r.pack.yaml: the pack's layout applies to all its articles",
        "content/good.md:5: warning: 'fit_pages' ignored inside the reader pack content/r.pack.yaml: the pack's layout applies to all its articles",
        "content/r.pack.yaml: error: not built: an article it binds has errors (above)",
        "1 of 2 articles and 1 of 1 reader pack failed",
    ]


def test_each_article_s_title_block_gets_smart_punctuation_in_the_pack(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (content / "quoted.md").write_text("---\ntitle: 'The \"quiet\" room'\n---\n\nText.\n", encoding="utf-8")
    (content / "reader.pack.yaml").write_text("title: Reader\narticles:\n  - quoted.md\n", encoding="utf-8")
    run = run_cli("--force", "--format", "pdf", "-j", "1", cwd=tmp_path)
    assert run.code == 0, run.err
    pages = pdf_text(tmp_path / "dist" / "reader.pdf")
    assert "The “quiet” room" in " ".join(pages).replace("\u00a0", " ") and '"quiet"' not in " ".join(pages)
