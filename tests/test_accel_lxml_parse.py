"""The lxml parse of handouts (pressroom.accel.lxml_parse) gives WeasyPrint the very tree it builds itself.

The reference is always WeasyPrint 70 itself: ``weasyprint.HTML(string=…).etree_element``, the
tree tinyhtml5 builds. Documents parse_html refuses must come back as ``None`` and still render.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from helpers import FIXTURES, REPO, SEED_ARTICLE

from pressroom.accel import load_weasyprint
from pressroom.accel.lxml_parse import parse_html, weasyprint_html
from pressroom.accel.stylesheets import reuse_layout_stylesheets
from pressroom.convert.markdown import convert
from pressroom.load.articles import load_article
from pressroom.load.sandbox import Sandbox
from pressroom.load.settings import load_project
from pressroom.model import Article
from pressroom.render.fetcher import FetchLog, weasyprint_fetcher
from pressroom.render.handout import font_config, handout_html, render_html, write_pdf

BASE_URL = REPO.as_uri() + "/"


def weasyprint_tree(html: str) -> ET.Element:
    """The tree WeasyPrint parses ``html`` into (tinyhtml5)."""
    return load_weasyprint().HTML(string=html, base_url=BASE_URL).etree_element


def differences(ours: ET.Element, theirs: ET.Element, path: str = "") -> list[str]:
    """Where two trees differ: tag, attributes (in order), text, tail, children, recursively."""
    here = f"{path}/{ours.tag if isinstance(ours.tag, str) else 'comment'}"
    found = []
    for what, a, b in [
        ("tag", ours.tag, theirs.tag),
        ("attributes", list(ours.attrib.items()), list(theirs.attrib.items())),
        ("text", ours.text, theirs.text),
        ("tail", ours.tail, theirs.tail),
        ("children", len(ours), len(theirs)),
    ]:
        if a != b:
            found.append(f"{here}: {what} {a!r} != {b!r}")
    if len(ours) == len(theirs):
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found.extend(differences(a, b, f"{here}[{index}]"))
    return found


def assert_fast_and_same(html: str) -> ET.Element:
    tree = parse_html(html)
    assert tree is not None, "expected the lxml fast path"
    assert differences(tree, weasyprint_tree(html)) == []
    return tree


def page(body: str, head: str = "", tail: str = "\n</body>\n</html>\n") -> str:
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n<title>T</title>{head}\n</head>\n<body>\n{body}{tail}'


@dataclass
class Handout:
    html: str
    article: Article
    sandbox: Sandbox
    search_path: tuple[Path, ...]


def build_handout(source: Path, **options: Any) -> Handout:
    warnings: list = []
    project = load_project(REPO, warnings)
    article = load_article(source, project.root, project.defaults, {}, warnings)
    sandbox = project.sandbox
    document = convert(article, sandbox, warnings)
    dates = {"created": "2024-05-01", "modified": "2024-05-02T10:00:00Z"}
    html = handout_html(article, document, project.layout_search_path, dates, **options)
    return Handout(html, article, sandbox, project.layout_search_path)


@pytest.fixture(scope="module")
def seed_handout() -> Handout:
    return build_handout(SEED_ARTICLE)


# (a) the same tree as WeasyPrint's own parse


def test_the_seed_handout_takes_the_fast_path_and_gives_weasyprints_tree(seed_handout: Handout) -> None:
    tree = assert_fast_and_same(seed_handout.html)
    assert tree.tag == "html"  # WeasyPrint parses with namespace_html_elements=False
    assert [child.tag for child in tree] == ["head", "body"]
    assert tree.text is None


@pytest.mark.parametrize(
    "source, options",
    [
        (FIXTURES / "manual" / "guide.md", {}),  # tables, code, raw HTML, images, footnotes
        (SEED_ARTICLE, {"notes_only": True}),  # the booklet's ruled padding page
        (SEED_ARTICLE, {"pack_toc": [{"id": "a0-x", "title": "One & two", "authors": "Ann <b>"}]}),
    ],
)
def test_other_handouts_take_the_fast_path(source: Path, options: dict[str, Any]) -> None:
    assert_fast_and_same(build_handout(source, **options).html)


SNIPPETS = {
    "comments everywhere": (
        "<!-- before the doctype -->"
        + page(
            "<!-- in body --><p>a<!-- in p -->b</p><!---->",
            head="<!-- in head -->",
            tail="\n</body>\n<!-- after body -->\n</html>\n<!-- after html -->\n",
        )
    ),
    "whitespace after body, no children": page("", tail="</body>\n\n</html>\n \n"),
    "whitespace after body, after text": page("text", tail=" </body> \n</html>"),
    "no whitespace at all": "<!DOCTYPE html><html><head><title>x</title></head><body><p>x</p></body></html>",
    "tables": page(
        '<table class="t">\n<caption>Cap <em>tion</em></caption>\n<colgroup><col /><col span="2"></colgroup>\n'
        '<thead>\n<tr>\n<th scope="col">A</th>\n<th style="text-align:right">B</th>\n</tr>\n</thead>\n'
        "<tbody>\n<tr><td>1</td><td><table><tbody><tr><td>nested</td></tr></tbody></table></td></tr>\n</tbody>\n"
        "<tfoot><tr><td><pre>\nkept in a cell</pre></td><td></td></tr></tfoot>\n</table>"
    ),
    "nested lists": page(
        "<ul>\n<li><p>one</p>\n<ol>\n<li>a</li>\n<li>b<ul><li>deep</li></ul></li>\n</ol>\n</li>\n<li>two</li>\n</ul>\n"
        "<dl><dt>term</dt><dd><p>definition</p></dd>\n<dt>t2</dt><dd>d2</dd></dl>"
    ),
    "pre with leading newlines": page(
        "<pre>\ndropped</pre><pre>\n\nonly one dropped</pre><pre> \nnot dropped</pre>"
        '<pre><span></span><code>x\n</code></pre><div class="codehilite"><pre>\n<span class="k">def</span>\n</pre></div>'
    ),
    "entities": page(
        "<p>&amp; &nbsp; &lt;tag&gt; &quot;q&quot; &#39;s&#39; &#x1F600; &#233; &notin; &AMP; &NewLine;x &Tab;y</p>"
        '<p title="a &amp; b &lt;c&gt; &quot;">AT&amp;T &amp;amp; 5 &gt; 3 &amp; a & b</p>'
    ),
    "odd attribute values": page(
        '<p title="" class="a  b" data-x="1 &gt; 0" lang="fr-CA" style="color: red; content: \'&quot;\'">x</p>'
        '<a href="https://example.com/?a=1&amp;b=2#frag" title="line\nbreak" id="x" aria-label="&lt;link&gt;">y</a>'
        '<span data-pr="1" data-pr2="é ’ 😀" id="x">z</span>'
    ),
    "void elements": page('<p>a<br>b<br />c<br/><img src="x.png" alt=""><img src="y.png" alt="y" /></p><hr><hr />'),
    "non-ASCII": page("<h1>Ünïcödé — “quotes” ’</h1><p>日本語 العربية עברית 😀 \u00a0 \u2028 \u200b</p>", head="<style>/* é */</style>"),
    "CRLF line endings": page("<p>one\r\ntwo\rthree</p>\r\n<pre>\r\nx</pre>").replace("\n", "\r\n"),
    "head content": page(
        "<p>x</p>",
        head='\n<meta name="author" content="A &amp; B" />\n<link rel="stylesheet" href="file:///x.css" />\n'
        '<style>\nbody > p::before { content: "a > b \\201C"; }\n@page { @bottom-left { content: "x"; } }\n</style>\n'
        "<title>A &amp; B &lt; C</title>",
    ),
    "phrasing and sections": page(
        '<article class="article"><header class="title-block"><h1 id="t">T <small>s</small></h1></header>\n'
        '<section><h2>H <a href="#t"><code>c</code></a></h2><p><em><strong>x</strong></em> <b>b</b> <i>i</i> <s>s</s> <u>u</u> '
        '<sup><a href="#fn">1</a></sup><sub>2</sub><abbr title="t">A</abbr><kbd>K</kbd><q>q</q><mark>m</mark>'
        '<time datetime="2024-01-01">t</time><span class="checkbox checked" role="img" aria-label="done"></span></p>'
        '<blockquote><p>quote</p></blockquote><figure><img src="a.png" alt="a" /><figcaption>cap</figcaption></figure>'
        '<details open=""><summary>S</summary><p>d</p></details><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby></section>\n'
        "<aside><nav><ul><li>n</li></ul></nav></aside><footer><address>addr</address></footer><div><div><div>deep</div></div></div></article>"
    ),
    "repeated ids": page('<p id="a">1</p><p id="a">2</p>'),
    "upper-case doctype": page("<p>x</p>").replace("<!DOCTYPE html>", "<!doctype HTML>"),
}


@pytest.mark.parametrize("html", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_snippets_take_the_fast_path_and_give_weasyprints_tree(html: str) -> None:
    assert_fast_and_same(html)


# (b) fallback: anything where lxml and HTML5 parsing could differ

FALLBACKS = {
    "inline svg": page('<p>x<svg viewBox="0 0 10 10"><circle r="5"/></svg></p>'),
    "inline math": page("<p><math><mi>x</mi></math></p>"),
    "base": page("<p>x</p>", head='<base href="https://example.com/" />'),
    "processing instruction": page('<?xml-stylesheet href="a.css"?><p>x</p>'),
    "CDATA": page("<p><![CDATA[x]]></p>"),
    "script": page("<p>x</p><script>if (a < b) {}</script>"),
    "template": page("<template><p>x</p></template>"),
    "noscript": page("<noscript><p>x</p></noscript>"),
    "form": page('<form><input type="text" /></form>'),
    "no doctype (quirks)": page("<p>x</p>").replace("<!DOCTYPE html>\n", ""),
    "legacy doctype": page("<p>x</p>").replace("<!DOCTYPE html>", '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN">'),
    "reference without semicolon": page("<p>&copy 2024</p>"),
    "unknown reference": page("<p>&notit; x</p>"),
    "C1 reference": page("<p>&#128;</p>"),
    "NUL reference": page("<p>&#0;</p>"),
    "CR reference": page("<p>&#13;</p>"),
    "reference in attribute without semicolon": page('<a href="?a=1&copy=2">x</a>'),
    "newline reference after pre": page("<pre>&#10;x</pre>"),
    "unclosed paragraph": page("<p>one<p>two</p>"),
    "block in paragraph": page("<p>a<div>b</div></p>"),
    "misnested formatting": page("<p><b>a<i>b</b>c</i></p>"),
    "stray end tag": page("<p>a</span></p>"),
    "end tag of a void element": page("<p>a</br></p>"),
    "self-closed div": page("<div/><p>x</p>"),
    "row without tbody": page("<table><tr><td>x</td></tr></table>"),
    "text in a table": page("<table>x<tbody><tr><td>y</td></tr></tbody></table>"),
    "nested anchors": page('<a href="#a">a<a href="#b">b</a></a>'),
    "list item in list item": page("<ul><li>a<div><li>b</li></div></li></ul>"),
    "missing end tags at the end": page("<div><p>x", tail=""),
    "content after body": page("<p>x</p>", tail="</body><p>late</p></html>"),
    "single-quoted attribute": page("<p class='x'>y</p>"),
    "attribute without value": page("<details open><summary>s</summary></details>"),
    "duplicate attribute": page('<p class="a" class="b">x</p>'),
    "upper-case tag": page("<P>x</P>"),
    "wbr": page("<p>a<wbr>b</p>"),
    "textarea": page("<textarea>\nx</textarea>"),
    "NUL character": page("<p>a\x00b</p>"),
    "form feed": page("<p>a\x0cb</p>"),
    "C1 control character": page("<p>a\x85b</p>"),
    "noncharacter": page("<p>a\ufffeb</p>"),
    "byte order mark": "\ufeff" + page("<p>x</p>"),
    "bare less-than": page("<p>a < b</p>"),
    "nested comment": page("<p><!-- a <!-- b --></p>"),
    "comment with dashes": page("<p><!-- a -- b --></p>"),
}


@pytest.mark.parametrize("html", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_documents_that_could_parse_differently_fall_back_and_still_render(html: str, tmp_path: Path) -> None:
    assert parse_html(html) is None
    document = weasyprint_html(html, tmp_path.as_uri() + "/", None)
    assert differences(document.etree_element, weasyprint_tree(html)) == []
    assert len(document.render().pages) >= 1


def test_weasyprint_html_sets_what_html_init_sets(seed_handout: Handout) -> None:
    weasyprint = load_weasyprint()
    fetcher = weasyprint_fetcher(seed_handout.sandbox, FetchLog())
    ours = weasyprint_html(seed_handout.html, BASE_URL, fetcher)
    theirs = weasyprint.HTML(string=seed_handout.html, base_url=BASE_URL, url_fetcher=fetcher)
    assert type(ours) is type(theirs)
    assert set(vars(ours)) == set(vars(theirs))
    for name in ("base_url", "url_fetcher", "media_type"):
        assert getattr(ours, name) == getattr(theirs, name)
    assert ours.etree_element is ours.wrapper_element.etree_element
    assert differences(ours.etree_element, theirs.etree_element) == []


# generated documents: whenever parse_html answers, it is WeasyPrint's tree


def generated_document(rng: random.Random) -> str:
    """A random handout-like document; one in three is then damaged somewhere."""
    texts = ["x", " ", "\n", "a b", "&amp;", "&nbsp;", "&lt;", "&#39;", "é", "’", "😀", "\t", "&notin;", " & "]

    def text() -> str:
        return "".join(rng.choice(texts) for _ in range(rng.randint(0, 3)))

    def attrs() -> str:
        title = rng.choice(['title="a &amp; b"', 'title=""', 'title="\n"', "title=\"'&lt;&gt;'\""])
        return "".join(" " + a for a in rng.sample(['class="x"', 'id="a"', 'data-pr="1"', title], rng.choice([0, 0, 1, 2])))

    def phrasing(depth: int) -> str:
        parts = []
        for _ in range(rng.randint(0, 3)):
            if depth > 4 or rng.random() < 0.4:
                parts.append(text())
            elif rng.random() < 0.15:
                parts.append(rng.choice(["<br>", "<br />", '<img src="a.png" alt="" />', "<!-- c -->"]))
            else:
                tag = rng.choice(["span", "em", "strong", "a", "code", "b", "i", "sup", "small", "abbr", "kbd"])
                parts.append(f"<{tag}{attrs()}>{phrasing(depth + 1)}</{tag}>")
        return "".join(parts)

    def flow(depth: int) -> str:
        parts = []
        for _ in range(rng.randint(0, 3)):
            choice = rng.random()
            if depth > 3 or choice < 0.15:
                parts.append(text())
            elif choice < 0.4:
                parts.append(f"<p{attrs()}>{phrasing(depth + 1)}</p>")
            elif choice < 0.5:
                level = rng.randint(1, 6)
                parts.append(f"<h{level}{attrs()}>{phrasing(depth + 1)}</h{level}>")
            elif choice < 0.6:
                tag = rng.choice(["ul", "ol"])
                items = "".join(f"\n<li{attrs()}>{flow(depth + 1)}</li>" for _ in range(rng.randint(0, 3)))
                parts.append(f"<{tag}>{items}</{tag}>")
            elif choice < 0.7:
                parts.append(f"<pre>{rng.choice(['', chr(10), chr(10) * 2, ' '])}{phrasing(depth + 1)}</pre>")
            elif choice < 0.8:
                section, cell = rng.choice(["thead", "tbody", "tfoot"]), rng.choice(["td", "th"])
                rows = "".join(f"<tr>\n<{cell}>{flow(depth + 1)}</{cell}>\n</tr>" for _ in range(rng.randint(0, 2)))
                parts.append(f"<table>\n<{section}>{rows}</{section}>\n</table>")
            else:
                tag = rng.choice(["div", "section", "blockquote", "figure", "article", "aside"])
                parts.append(f"<{tag}{attrs()}>{flow(depth + 1)}</{tag}>")
        return "".join(parts)

    html = page(flow(0), tail=rng.choice(["</body></html>", "\n</body>\n<!-- z -->\n</html>\n"]))
    if rng.random() < 1 / 3:
        at = rng.randrange(len(html))
        damage = rng.choice(["<p>", "</p>", "<div>", "</span>", "<li>", "<tr>", "</table>", "<b>", "&copy", "<br>"])
        html = html[:at] + damage + html[at:]
    return html


def test_generated_documents() -> None:
    rng = random.Random(20240501)
    fast = 0
    for _ in range(300):
        html = generated_document(rng)
        tree = parse_html(html)
        if tree is not None:
            fast += 1
            assert differences(tree, weasyprint_tree(html)) == [], html
    assert fast >= 150  # the undamaged ones


# (c) the same PDF either way


@pytest.mark.parametrize("variant", ["none", "pdf/ua-1"])
def test_the_seed_handout_pdf_is_byte_identical_through_either_parse(seed_handout: Handout, variant: str) -> None:
    assert parse_html(seed_handout.html) is not None
    handout = seed_handout
    fast = render_html(handout.html, handout.article, handout.sandbox, [], handout.search_path)

    weasyprint = load_weasyprint()
    reuse_layout_stylesheets(weasyprint)
    fetcher = weasyprint_fetcher(handout.sandbox, FetchLog())
    base_url = handout.article.source.parent.as_uri() + "/"
    plain = weasyprint.HTML(string=handout.html, base_url=base_url, url_fetcher=fetcher).render(
        font_config=font_config(handout.search_path)
    )

    assert write_pdf(fast, variant, "seed") == write_pdf(plain, variant, "seed")
