"""The EPUB cover: the article's own image, checked, or one generated from the layout."""

from __future__ import annotations

import io
from pathlib import Path

from helpers import (
    NS,
    assert_epubcheck_clean,
    epub_file,
    epub_xml,
    run_cli,
    write_article,
)
from PIL import Image

from pressroom.render.renderer import fresh_renderer


def test_an_articles_own_cover_is_used_as_given(tmp_path: Path) -> None:
    Image.new("RGB", (800, 1200), (200, 30, 30)).save(tmp_path / "art.jpg", quality=85)
    write_article(tmp_path, "---\ntitle: Covered\ncover: art.jpg\n---\n\nText.\n", "c.md")
    run = run_cli("c.md", "--out", "out", "--format", "epub", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.err == (
        "c.md:3: warning: cover image 'art.jpg' is 800 × 1200 px; e-reader stores ask for at least 1600 px on the long side\n"
    )
    epub = tmp_path / "out" / "c.epub"
    item = epub_xml(epub, "EPUB/content.opf").find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert (item.get("href"), item.get("media-type")) == ("images/cover.jpg", "image/jpeg")
    assert epub_file(epub, "EPUB/images/cover.jpg") == (tmp_path / "art.jpg").read_bytes()
    assert_epubcheck_clean(epub)


def test_a_cover_that_is_not_an_image_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_text("not an image")
    write_article(tmp_path, "---\ntitle: Bad\ncover: cover.png\n---\n\nText.\n", "b.md")
    run = run_cli("b.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err.startswith("b.md:3: error: cover image 'cover.png' is not a PNG, JPEG, GIF, WebP or SVG image")


def test_a_generated_cover_is_kept_in_the_cache_and_drawn_again_only_when_its_inputs_change(tmp_path: Path) -> None:
    import io

    source = write_article(tmp_path, "---\ntitle: Kept\n---\n\nFirst text.\n", "k.md")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    stored = sorted(tmp_path.glob(".cache/pressroom/cover-*.jpg"))
    assert len(stored) == 1
    epub = tmp_path / "out" / "k.epub"
    assert epub_file(epub, "EPUB/images/cover.jpg") == stored[0].read_bytes()
    planted = io.BytesIO()
    Image.new("RGB", (1600, 2400), "#808080").save(planted, "JPEG")
    stored[0].write_bytes(planted.getvalue())  # a stand-in: seen in the EPUB only if the stored cover is reused
    fresh_renderer()  # as in a new process: run_cli builds in this one
    source.write_text("---\ntitle: Kept\n---\n\nSecond text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    assert epub_file(epub, "EPUB/images/cover.jpg") == planted.getvalue()
    fresh_renderer()
    assert run_cli("k.md", "--out", "out", "--force", cwd=tmp_path).code == 0
    assert epub_file(epub, "EPUB/images/cover.jpg") != planted.getvalue()
    source.write_text("---\ntitle: Renamed\n---\n\nSecond text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    assert len(list(tmp_path.glob(".cache/pressroom/cover-*.jpg"))) == 2
    assert epub_file(epub, "EPUB/images/cover.jpg") not in (planted.getvalue(), stored[0].read_bytes())
    for damaged in tmp_path.glob(".cache/pressroom/cover-*.jpg"):
        damaged.write_bytes(damaged.read_bytes()[:1000])  # cut short: drawn again, not packaged
    fresh_renderer()
    source.write_text("---\ntitle: Renamed\n---\n\nThird text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    packaged = epub_file(epub, "EPUB/images/cover.jpg")
    assert packaged.endswith(b"\xff\xd9") and Image.open(io.BytesIO(packaged)).size == (1600, 2400)
    assert_epubcheck_clean(epub)


LONG_TITLE = (
    "The Extraordinarily Long and Winding Title of a Conference Talk About Cataloguing, Circulation, Collection "
    "Development, Digital Literacy and the Future of School Libraries in a Changing World, Revisited"
)
EIGHT_AUTHORS = [
    "Ann Archer",
    "Bob Binder",
    "Cecilia Cataloguer-Montgomery",
    "Dmitri Dewey",
    "Eleanor Encyclopaedia",
    "Farid Folio",
    "Gudrun Glossary-Henderson",
    "Hiroshi Hardcover",
]


def cover_of(folder: Path, front_matter: str) -> tuple[bytes, list[str]]:
    """The generated cover of an article with this front matter, as the PDF it is rasterised from,
    and the warnings drawing it gave."""
    from pressroom.load.articles import load_article
    from pressroom.load.settings import load_project
    from pressroom.render.context import RenderContext
    from pressroom.render.cover import cover_pdf

    source = write_article(folder, f"---\n{front_matter}---\n\nText.\n", "c.md")
    warnings: list = []
    project = load_project(folder, warnings)
    article = load_article(source, project.root, project.defaults, {}, warnings)
    context = RenderContext(project, project.sandbox)
    return cover_pdf(article, context), [w.message for w in context.warnings]


def cover_words(pdf: bytes) -> tuple[list[dict], float, float]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        page = document.pages[0]
        return page.extract_words(keep_blank_chars=False, x_tolerance=1.5), page.width, page.height


def lines_of(words: list[dict], text: str) -> list[dict]:
    """The page's words that spell ``text`` (spaces and line breaks aside), once, in order."""
    squashed = "".join(w["text"] for w in words).replace("\u00a0", "")
    starts = [0]
    for word in words:
        starts.append(starts[-1] + len(word["text"].replace("\u00a0", "")))
    wanted = "".join(text.split())
    assert squashed.count(wanted) == 1, f"{text!r} is not drawn once"
    begin = squashed.index(wanted)
    return [w for w, start, end in zip(words, starts, starts[1:], strict=False) if start < begin + len(wanted) and end > begin]


def test_a_200_character_title_and_eight_authors_fit_the_cover_whole(tmp_path: Path) -> None:
    assert len(LONG_TITLE) >= 200
    authors = "".join(f"  - {name}\n" for name in EIGHT_AUTHORS)
    pdf, warnings = cover_of(
        tmp_path,
        f'title: "{LONG_TITLE}"\nsubtitle: "What we learnt from a decade of conferences, and what comes next for the library"\n'
        f"author:\n{authors}date: 2026-03-20\npublisher: Examzify Publishing\n"
        "event: {name: Regional Library Conference of the Northern Provinces, date: 2026-03-14, place: Ghent}\n",
    )
    assert warnings == []
    words, width, height = cover_words(pdf)
    margin = 0.5 * 72  # nothing closer than half an inch to an edge: not cut when a reader crops the cover
    for word in words:
        assert margin <= word["x0"] and word["x1"] <= width - margin, word
        assert 0.3 * 72 <= word["top"] and word["bottom"] <= height - margin, word
    title = lines_of(words, LONG_TITLE)
    names = lines_of(words, ", ".join(EIGHT_AUTHORS))
    # every word is drawn once, the parts one below another: title, then the authors, then the imprint
    assert max(w["bottom"] for w in title) < min(w["top"] for w in names)
    event = lines_of(words, "REGIONAL LIBRARY CONFERENCE OF THE NORTHERN PROVINCES")
    assert max(w["bottom"] for w in event) < min(w["top"] for w in title)
    imprint = lines_of(words, "20 March 2026 · Examzify Publishing")
    assert max(w["bottom"] for w in names) < min(w["top"] for w in imprint)
    assert lines_of(words, "14 March 2026 · Ghent")


def test_the_generated_cover_uses_the_whole_height(tmp_path: Path) -> None:
    pdf, _ = cover_of(tmp_path, 'title: "A Short Talk"\nauthor: Ann Archer\npublisher: Examzify\n')
    words, width, height = cover_words(pdf)
    title, author, publisher = lines_of(words, "A Short Talk"), lines_of(words, "Ann Archer"), lines_of(words, "Examzify")
    # the title sits in the middle of the page, the authors and the publisher in its lowest fifth
    assert 0.3 * height < title[0]["top"] < 0.6 * height
    assert author[0]["top"] > 0.75 * height and publisher[0]["top"] > author[0]["bottom"]
    assert title[0]["bottom"] - title[0]["top"] > 30  # set large: a short title gets a big size


def test_the_cover_shows_one_date_in_the_articles_language(tmp_path: Path) -> None:
    pdf, _ = cover_of(
        tmp_path, 'title: "Le catalogue"\nlang: fr\ndate: 2026-03-14\nevent: {name: Congrès, date: 2026-03-14, place: Lyon}\n'
    )
    words, _, _ = cover_words(pdf)
    text = " ".join(w["text"] for w in words)
    assert text.count("2026") == 1 and "14 mars 2026 · Lyon" in text


def test_the_generated_cover_is_the_same_bytes_on_every_build(tmp_path: Path) -> None:
    write_article(tmp_path, "---\ntitle: Twice\nauthor: [Ann, Bob]\nevent: Summit\n---\n\nText.\n", "t.md")
    covers = []
    for out in ("a", "b"):
        fresh_renderer()
        assert run_cli("t.md", "--out", out, "--format", "epub", "--force", cwd=tmp_path).code == 0
        covers.append(epub_file(tmp_path / out / "t.epub", "EPUB/images/cover.jpg"))
    assert covers[0] == covers[1]
    picture = Image.open(io.BytesIO(covers[0])).convert("L")
    assert picture.size == (1600, 2400)
    # nothing drawn in the outer margins below the band: the composition stays inside the page
    edge = picture.crop((0, 400, 120, 2400)).getextrema()
    assert edge[1] - edge[0] < 12


def test_a_word_longer_than_the_line_is_set_smaller_until_it_fits(tmp_path: Path) -> None:
    pdf, warnings = cover_of(tmp_path, 'title: "Internationalisation, Localisation"\n')
    assert warnings == []
    words, width, _ = cover_words(pdf)
    drawn = lines_of(words, "Internationalisation,")
    assert len(drawn) == 1 and drawn[0]["x0"] >= 0.5 * 72 and drawn[0]["x1"] <= width - 0.5 * 72  # whole, inside


def test_a_word_too_long_for_any_size_is_broken_inside_the_page(tmp_path: Path) -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    pdf, warnings = cover_of(tmp_path, f'title: "{word} Explained"\n')
    assert warnings == []
    words, width, _ = cover_words(pdf)
    assert all(w["x0"] >= 0.5 * 72 and w["x1"] <= width - 0.5 * 72 for w in lines_of(words, word + "Explained"))
