"""The metadata schema: types, defaults, suggestions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pressroom.load.metadata import Affiliation, Author, Metadata, check_fields, suggest
from pressroom.model import BuildError


def check(raw: dict, warnings: list | None = None) -> dict:
    return check_fields(raw, "a.md", {k: i + 2 for i, k in enumerate(raw)}, [] if warnings is None else warnings)


def test_values_are_normalised() -> None:
    checked = check({"author": "Ann", "keywords": "a, b ,c", "date": "2024-05-31", "paper": "Letter", "lang": "pt-BR", "fit_pages": 2})
    assert checked == {
        "fit_pages": 2,
        "authors": (Author("Ann"),),
        "keywords": ("a", "b", "c"),
        "date": dt.date(2024, 5, 31),
        "paper": "letter",
        "lang": "pt-BR",
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("title", ["a"], "'title' must be text, not a list"),
        ("title", "  ", "'title' must not be empty"),
        ("author", [{"affiliation": "Lab"}], "'author[1]' must have a name (it may also have affiliation, affiliations, email, orcid)"),
        ("date", "31/05/2024", "'date' must be a date such as 2024-05-31 or 31 May 2024, not '31/05/2024'"),
        ("date", "30 February 2024", "'date' is not a real date: 30 February 2024 (that month has no day 30)"),
        ("lang", "english language", "'lang' must be a BCP 47 language tag such as en or pt-BR, not 'english language'"),
        ("slug", "My Slug", "'slug' may hold only lower-case letters, digits, '-' and '_', not 'My Slug'"),
        ("url", "example.com", "'url' must be an http(s) URL, not 'example.com'"),
        ("paper", "a3", "'paper' must be one of a4, letter, a5 or WIDTHxHEIGHT such as 148mmx210mm, not 'a3'"),
        ("columns", 3, "'columns' must be a whole number from 1 to 2, not 3"),
        ("fit_pages", 0, "'fit_pages' must be a whole number from 1 to 99, not 0"),
        ("fit_pages", "two", "'fit_pages' must be a whole number from 1 to 99, not 'two'"),
        ("booklet", "yes", "'booklet' must be true or false, not 'yes'"),
        (
            "booklet_sheet",
            "Leter",
            "'booklet_sheet' must be one of auto, same, a5, a4, a3, letter, tabloid or WIDTHxHEIGHT such as 450mmx320mm, not 'Leter' (did you mean 'letter'?)",
        ),
        (
            "booklet_sheet",
            "double",
            "'booklet_sheet' must be one of auto, same, a5, a4, a3, letter, tabloid or WIDTHxHEIGHT such as 450mmx320mm, not 'double'",
        ),
        ("bleed", "3", "'bleed' must be a length such as 3mm, not '3'"),
        (
            "pdf_variant",
            "pdf/z",
            "'pdf_variant' must be one of pdf/ua-1, pdf/ua-2, pdf/a-1b, pdf/a-2b, pdf/a-3b, pdf/a-4b, pdf/a-2u, pdf/a-3u, pdf/a-4u, pdf/a-4e, pdf/a-4f, pdf/x-1a, pdf/x-3, pdf/x-4, pdf/x-5g, none, not 'pdf/z'",
        ),
        ("title", True, "'title' must be text, not true/false"),
    ],
)
def test_wrong_types_name_the_key_and_line(key: str, value: object, message: str) -> None:
    with pytest.raises(BuildError) as info:
        check({"summary": "ok", key: value})
    assert (info.value.message, info.value.line, info.value.path) == (message, 3, "a.md")


def test_booklet_sheet_names_and_sizes_are_normalised() -> None:
    assert check({"booklet_sheet": "Tabloid"}) == {"booklet_sheet": "tabloid"}
    assert check({"booklet_sheet": "SAME"}) == {"booklet_sheet": "same"}
    assert check({"booklet_sheet": "450mm x 320mm"}) == {"booklet_sheet": "450mmx320mm"}


def test_unknown_keys_warn_with_the_nearest_known_key() -> None:
    warnings: list = []
    assert check({"titel": "x", "zzz": 1}, warnings) == {}
    assert [w.format() for w in warnings] == [
        "a.md:2: warning: unknown key 'titel' ignored (did you mean 'title'?)",
        "a.md:3: warning: unknown key 'zzz' ignored",
    ]


def test_suggest() -> None:
    assert suggest("autor", ["author", "title"]) == " (did you mean 'author'?)"
    assert suggest("qqq", ["author"]) == ""


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("date: 2024-02-30", 3, "'date' is not a real date: 2024-02-30 (that month has no day 30)"),
        ("date: 2023-02-29T10:00:00Z", 3, "'date' is not a real date: 2023-02-29T10:00:00Z (that month has no day 29)"),
        ("event: {name: Summit, date: 2024-13-01}", 3, "'event.date' is not a real date: 2024-13-01 (there is no month 13)"),
        ("event:\n  name: Summit\n  date: 2024-04-31", 3, "'event.date' is not a real date: 2024-04-31 (that month has no day 31)"),
    ],
)
def test_impossible_calendar_dates_are_errors_at_their_line(tmp_path: Path, front: str, line: int, message: str) -> None:
    from helpers import run_cli, write_article

    write_article(tmp_path, f"---\ntitle: T\n{front}\n---\n\nText.\n", "a.md")
    write_article(tmp_path, "# Fine\n\nText.\n", "b.md")
    run = run_cli("a.md", "b.md", "--out", "out", "-j", "1", cwd=tmp_path)
    assert run.code == 1
    assert f"a.md:{line}: error: {message}" in run.err.splitlines(), run.err
    assert (tmp_path / "out" / "b.pdf").exists()  # the other article is still built
    assert "Traceback" not in run.err


def test_dates_in_front_matter_still_read_as_dates(tmp_path: Path) -> None:
    from helpers import write_article

    from pressroom.load.articles import load_article

    source = write_article(tmp_path, "---\ndate: 2024-02-29\nevent: {name: S, date: 2024-03-01}\n---\n\nText.\n")
    meta = load_article(source, tmp_path, {}, {}, []).meta
    assert meta.date.isoformat() == "2024-02-29"
    assert meta.event.date == "2024-03-01"


@pytest.mark.parametrize(
    "written",
    ["2023-09-14", "14 September 2023", "September 14, 2023", "2023-09-14T10:00:00Z", "14 Sep 2023", "Sept. 14th, 2023", "2023/09/14"],
)
def test_dates_as_people_write_them(written: str) -> None:
    assert check({"date": written}) == {"date": dt.date(2023, 9, 14)}


def test_authors_as_text_list_or_maps_and_other_tools_keys() -> None:
    """Pandoc, Quarto, journal templates: authors as maps (name, affiliation, e-mail, ORCID),
    abstract as the summary, tags as keywords."""
    authors = [{"name": "Ann Lee", "affiliation": "Lab", "orcid": "0000-0002-1825-0097"}, {"name": {"given": "Bo", "family": "Chen"}}, "Cy"]
    checked = check({"authors": authors, "abstract": "What it is.", "tags": ["a", "b"]})
    ann = Author("Ann Lee", ("Lab",), orcid="0000-0002-1825-0097")
    assert checked == {"authors": (ann, Author("Bo Chen"), Author("Cy")), "summary": "What it is.", "keywords": ("a", "b")}
    assert check({"author": {"name": "Dee", "email": "d@example.org"}}) == {"authors": (Author("Dee", email="d@example.org"),)}
    with pytest.raises(BuildError) as info:
        check({"summary": "One.", "abstract": "Two."})
    assert (info.value.message, info.value.line) == ("'summary' and 'abstract' both set the summary; keep one", 3)


def test_affiliations_by_reference_are_resolved_and_numbered_in_order_of_mention() -> None:
    """JOSS (``affiliation: "1, 2"`` and a top-level list with ``index``), Quarto (``{ref: id}``
    and ``id``) and plain names all give the same credits; an ORCID address is kept as the iD."""
    joss = check(
        {
            "authors": [
                {"name": "Ann", "affiliation": "2, 1", "orcid": "https://orcid.org/0000-0002-1825-0097"},
                {"name": "Bo", "affiliation": 1},
                {"name": "Cy", "affiliations": [{"ref": "ext"}, "Elsewhere"]},
                "Dee",
            ],
            "affiliations": [{"name": "Lab One", "index": 1}, {"name": "Lab Two", "index": 2}, {"id": "ext", "name": "Lab Ext"}],
        }
    )
    credits = Metadata(title="T", slug="t", **joss).credits()
    assert credits.affiliations == ("Lab Two", "Lab One", "Lab Ext", "Elsewhere")
    assert [(c.author.name, c.numbers) for c in credits.authors] == [("Ann", (1, 2)), ("Bo", (2,)), ("Cy", (3, 4)), ("Dee", ())]
    assert joss["authors"][0].orcid == "0000-0002-1825-0097"
    assert joss["affiliations"][2] == Affiliation("ext", "Lab Ext")


@pytest.mark.parametrize(
    ("orcid", "message"),
    [
        ("0000-0002-1825-0098", "'author[1].orcid' is not a valid ORCID iD (its check digit does not match): 0000-0002-1825-0098"),
        ("1234", "'author[1].orcid' must be an ORCID iD such as 0000-0002-1825-0097, not '1234'"),
    ],
)
def test_a_mistyped_orcid_is_an_error_on_its_line(orcid: str, message: str) -> None:
    with pytest.raises(BuildError) as info:
        check({"author": [{"name": "Ann", "orcid": orcid}]})
    assert info.value.message == message
