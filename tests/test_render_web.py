"""The web edition: valid HTML5, no JavaScript, responsive in a real browser, fonts and images beside it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import FIXTURES, SEED_ARTICLE, node_tool, run_cli

WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("web")
    run = run_cli(SEED_ARTICLE, FIXTURES / "manual" / "guide.md", "--out", out, "--format", "pdf,epub,html", "--force")
    assert run.code == 0, run.err
    assert "wrote " + str(out / "guide" / "index.html") in run.out
    return out


@pytest.mark.parametrize("name", ["professional-organizations", "guide"])
def test_the_page_has_its_files_beside_it_and_no_script(web: Path, name: str) -> None:
    folder = web / name
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html and "epub:type" not in html
    assert (folder / "style.css").is_file() and (folder / "fonts" / "NotoSerif-Regular.woff2").is_file()
    assert (folder / "fonts" / "OFL.txt").is_file()
    assert f'href="../{name}.pdf"' in html and f'href="../{name}.epub"' in html


def test_valid_html5(web: Path) -> None:
    vnu = node_tool("vnu-jar/build/dist/vnu.jar")
    pages = [str(web / name / "index.html") for name in ("professional-organizations", "guide")]
    result = subprocess.run(["java", "-jar", str(vnu), "--errors-only", *pages], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["professional-organizations", "guide"])
def test_responsive_in_headless_chromium(web: Path, name: str) -> None:
    node_tool("puppeteer")
    if not shutil.which("node") or not Path("/usr/bin/chromium").exists():
        pytest.fail("node and /usr/bin/chromium are needed (.ci/run installs chromium)")
    script = Path(__file__).resolve().parent / "browser_check.js"
    url = (web / name / "index.html").as_uri()
    result = subprocess.run(
        ["node", str(script), url, *map(str, WIDTHS)], capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for view in json.loads(result.stdout):
        assert view["scrollWidth"] <= view["clientWidth"], f"horizontal overflow at {view['width']} px"
        assert all(image["loaded"] for image in view["images"]), view["images"]
        assert "Pressroom Serif" in view["loadedFonts"] and "Pressroom Sans" in view["loadedFonts"]
        assert view["paragraphFont"].startswith('"Pressroom Serif"') and view["scripts"] == 0
    if name == "guide":
        assert len(view["images"]) == 4


@pytest.mark.parametrize("name", ["professional-organizations", "guide"])
def test_fonts_are_woff2_subsets_of_what_the_page_shows(web: Path, name: str) -> None:
    import lxml.html
    from fontTools.ttLib import TTFont

    from pressroom.load.settings import BUILTIN_LAYOUTS

    folder = web / name
    fonts = sorted((folder / "fonts").glob("*"))
    assert not [f for f in fonts if f.suffix == ".ttf"]
    woff2 = [f for f in fonts if f.suffix == ".woff2"]
    assert all(f.read_bytes()[:4] == b"wOF2" for f in woff2)
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and "images" not in f.parts)
    assert total < 150_000, total  # the page, its stylesheet and its fonts (from ~5 MB of TrueType)
    root = lxml.html.fromstring((folder / "index.html").read_bytes())
    shown = {ord(c) for c in "".join(root.find("body").itertext()) if not c.isspace()}
    css = (folder / "style.css").read_text(encoding="utf-8")
    for font in woff2:
        full = TTFont(BUILTIN_LAYOUTS / "fonts" / font.with_suffix(".ttf").name).getBestCmap()
        subset = TTFont(font).getBestCmap()
        assert {c for c in shown if c in full} <= set(subset), font.name
        assert len(subset) < len(full) / 4, font.name
        assert f'url(fonts/{font.name}) format("woff2")' in css
    has_code = bool(root.xpath("//code | //pre"))
    assert any("Mono" in f.name for f in woff2) == has_code and ("NotoSansMono" in css) == has_code


def test_download_links_come_before_the_article_and_name_the_booklet(tmp_path: Path) -> None:
    source = tmp_path / "seed.md"
    source.write_bytes(SEED_ARTICLE.read_bytes())
    run = run_cli(source, "--out", tmp_path / "out", "--format", "pdf,html", "-M", "booklet=true", "-M", "lang=fr")
    assert run.code == 0, run.err
    html = (tmp_path / "out" / "seed" / "index.html").read_text(encoding="utf-8")
    links = html.index('href="../seed.pdf"')
    assert links < html.index("<main") < html.index('class="title"')
    assert 'href="../seed-booklet.pdf">PDF (livret)</a>' in html and "Télécharger" in html
    assert (tmp_path / "out" / "seed-booklet.pdf").is_file()


def test_font_subsets_are_kept_in_the_cache_and_checked(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["html"]\n')
    shutil.copy(SEED_ARTICLE, project / "content" / "a.md")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert run_cli("content", cwd=project, env=env).code == 0
    first = {p.name: p.read_bytes() for p in (project / "dist" / "a" / "fonts").iterdir()}
    kept = sorted((project / ".cache" / "pressroom").glob("font-*.woff2"))
    assert len(kept) == len(first) - 1  # one per face the page uses (OFL.txt aside)
    kept[0].write_bytes(kept[0].read_bytes()[:100])  # cut short: not used, made again
    (project / "content" / "a.md").write_text((project / "content" / "a.md").read_text() + "\nedited\n")
    assert run_cli("content", cwd=project, env=env).code == 0
    assert {p.name: p.read_bytes() for p in (project / "dist" / "a" / "fonts").iterdir()} == first
    assert all(p.read_bytes()[:4] == b"wOF2" for p in kept)
