"""BibTeX (and biblatex's common fields) read into CSL JSON items, mapped as Pandoc maps them.

citeproc-py's own BibTeX reader fails on files as journals receive them (a line break inside
an author list stops it with a traceback; ``~``, ``url``, ``howpublished`` and ``@incollection``
are lost or mistyped), so Pressroom reads the file itself and hands citeproc-py CSL JSON:

* entries ``@type{key, field = {…} # "…" # macro, …}`` (or in parentheses), ``@string``
  macros, the month macros, ``@comment`` and ``@preamble`` skipped;
* LaTeX accents and symbols as Unicode (``R\\"{u}bel`` → Rübel, ``--`` → –, ``~`` → a space),
  a braced group in a title kept as written (CSL JSON's ``<span class="nocase">``);
* names as BibTeX writes them (``First von Last``, ``von Last, First``, ``von Last, Jr, First``;
  a name in braces is an institution), split at ``and``;
* titles turned into sentence case (each capitalised word but the first and the one after a
  colon lowered; words with other capitals and braced groups kept), as CSL expects them and
  Pandoc does, so a style's own ``text-case`` decides how they print;
* entry types and fields as Pandoc's citeproc maps them (``@incollection`` → ``chapter``,
  ``journal`` → ``container-title``, ``howpublished`` → ``publisher``, ``eprint`` with
  ``archivePrefix = {arXiv}`` → an arXiv ``URL``, ``month`` and ``year`` → ``issued``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

NOCASE = ('<span class="nocase">', "</span>")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet", "bookinbook": "chapter",
    "collection": "book", "dataset": "dataset", "electronic": "webpage", "inbook": "chapter",
    "incollection": "chapter", "inreference": "entry-encyclopedia", "inproceedings": "paper-conference",
    "conference": "paper-conference", "manual": "book", "mastersthesis": "thesis", "misc": "",
    "online": "webpage", "patent": "patent", "periodical": "article-journal", "phdthesis": "thesis",
    "proceedings": "book", "reference": "book", "report": "report", "software": "book",
    "techreport": "report", "thesis": "thesis", "unpublished": "manuscript", "www": "webpage",
}  # fmt: skip
CHAPTER_LIKE = {"inbook", "incollection", "inproceedings", "inreference", "bookinbook", "conference"}
BOOK_LIKE = {"book", "collection", "proceedings", "reference", "bookinbook", "inbook", "incollection", "inproceedings", "inreference"}
ARTICLE_LIKE = {"article", "periodical"}
#: LaTeX commands whose argument is simply the text.
TEXT_COMMANDS = ("url", "emph", "textit", "textbf", "textsc", "texttt", "textrm", "textsf", "mbox", "textup", "textnormal", "hbox")
ARXIV = "https://arxiv.org/abs/"
TILDE = "\ue000"  # stands for a ~ that is a tilde (in a URL), not a space


class BibTeXError(ValueError):
    """A BibTeX file that cannot be read; ``line`` is 1-based in the file."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Entry:
    """One ``@type{key, …}`` entry: field names lower-cased, values still LaTeX."""

    kind: str
    key: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)


def read(text: str) -> list[dict[str, Any]]:
    """The CSL JSON items of a BibTeX file's entries, in the file's order."""
    return [to_csl(entry) for entry in parse(text)]


def whole_words(markup: str) -> str:
    """Nocase spans widened to the whole words they are part of (``{N}avier`` → a protected
    "Navier"): citeproc-py cases words one span at a time and would split the word."""
    run = re.compile(r"[^\s<>]*(?:<span class=\"nocase\">[^<]*</span>[^\s<>]*)+")
    return run.sub(lambda match: NOCASE[0] + match.group().replace(NOCASE[0], "").replace(NOCASE[1], "") + NOCASE[1], markup)


# -- the file


def parse(text: str) -> list[Entry]:
    """The entries of a BibTeX file, ``@string`` macros expanded."""
    return _Parser(text).entries()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.strings: dict[str, str] = {month: month for month in MONTHS}

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def fail(self, message: str, pos: int | None = None) -> BibTeXError:
        return BibTeXError(message, self.line(pos))

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def word(self) -> str:
        match = re.compile(r"[^\s{}(),=#\"%]+").match(self.text, self.pos)
        if not match:
            raise self.fail("a name was expected here")
        self.pos = match.end()
        return match.group()

    def entries(self) -> list[Entry]:
        found = []
        while (at := self.text.find("@", self.pos)) >= 0:
            self.pos = at + 1
            start = at
            kind = self.word().lower()
            self.skip_space()
            if self.pos >= len(self.text) or self.text[self.pos] not in "{(":
                continue  # an @ in the text between entries (BibTeX ignores it)
            close = "}" if self.text[self.pos] == "{" else ")"
            if kind in ("comment", "preamble"):
                self.balanced()
                continue
            self.pos += 1
            if kind == "string":
                self.skip_space()
                name, value = self.assignment()
                self.strings[name] = value
                self.expect(close)
                continue
            self.skip_space()
            key_match = re.compile(r"[^\s,{}()]+").match(self.text, self.pos)
            if not key_match:
                raise self.fail(f"@{kind} entry without a key", start)
            self.pos = key_match.end()
            entry = Entry(kind, key_match.group(), self.line(start))
            try:
                self.fields(entry, close)
            except BibTeXError as exc:  # named by the entry it is in, where a brace left open shows
                raise BibTeXError(f"in @{kind}{{{entry.key}, …}}: {exc}", entry.line) from None
            found.append(entry)
        return found

    def fields(self, entry: Entry, close: str) -> None:
        self.skip_space()
        while self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == close:
                break
            name, value = self.assignment()
            entry.fields.setdefault(name, value)
            self.skip_space()
        self.expect(close)

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            raise self.fail(f"'{char}' was expected here (a missing comma or brace?)")
        self.pos += 1

    def assignment(self) -> tuple[str, str]:
        name = self.word().lower()
        self.expect("=")
        parts = [self.value()]
        self.skip_space()
        while self.pos < len(self.text) and self.text[self.pos] == "#":
            self.pos += 1
            parts.append(self.value())
            self.skip_space()
        return {"archiveprefix": "eprinttype", "primaryclass": "eprintclass"}.get(name, name), "".join(parts)

    def value(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.fail("the file ends inside an entry")
        char = self.text[self.pos]
        if char == "{":
            return self.balanced()[1:-1]
        if char == '"':
            start = self.pos
            self.pos += 1
            depth = 0
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if char == "\\":
                    self.pos += 1
                elif char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                elif char == '"' and depth == 0:
                    self.pos += 1
                    return self.text[start + 1 : self.pos - 1]
                self.pos += 1
            raise self.fail("a quoted value is never closed", start)
        word = self.word()
        return word if word.isdigit() else self.strings.get(word.lower(), word)

    def balanced(self) -> str:
        """The brace (or parenthesis) group at ``pos``, delimiters included."""
        start = self.pos
        opening = self.text[start]
        closing = "}" if opening == "{" else ")"
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[start : self.pos]
            self.pos += 1
        raise self.fail(f"'{opening}' is never closed", start)


# -- LaTeX


def latex_text(value: str) -> str:
    """Plain text of a LaTeX value: accents as Unicode, braces and text commands gone."""
    return _strip_braces(_unlatex(_verbatim_urls(value))).replace(TILDE, "~")


def latex_markup(value: str) -> str:
    """CSL JSON text of a LaTeX value: HTML-escaped, top-level braced groups (not starting
    with a command, which BibTeX reads as a special character) as nocase spans."""
    value = _verbatim_urls(value)
    out, depth, start = [], 0, 0
    chunk_start = 0
    for index, char in enumerate(value):
        if char == "\\":
            continue
        if char == "{" and (index == 0 or value[index - 1] != "\\"):
            if depth == 0:
                out.append(html.escape(latex_text(value[chunk_start:index]), quote=False))
                start = index
            depth += 1
        elif char == "}" and (index == 0 or value[index - 1] != "\\"):
            depth -= 1
            if depth == 0:
                group = value[start : index + 1]
                text = html.escape(latex_text(group), quote=False)
                argument = re.search(r"\\[A-Za-z]+\s*$", value[:start])  # \url{…}: an argument, not a protected group
                out.append(text if group.startswith("{\\") or argument else NOCASE[0] + text + NOCASE[1])
                chunk_start = index + 1
    out.append(html.escape(latex_text(value[chunk_start:]), quote=False))
    return "".join(out).replace(TILDE, "~")


def _verbatim_urls(value: str) -> str:
    """``\\url{…}`` as its text, a ``~`` in it kept as a tilde."""
    return re.sub(r"\\url\s*\{([^{}]*)\}", lambda match: match.group(1).replace("~", TILDE), value)


def _unlatex(value: str) -> str:
    from citeproc.source.bibtex.latex import parse_latex
    from citeproc.source.bibtex.latex.macro import Macro

    value = re.sub(r"\s+", " ", value)
    commands = {name: Macro(1, "{0}") for name in TEXT_COMMANDS}
    try:
        text = str(parse_latex(value.replace("~", " "), commands))
    except Exception:  # an unknown command: its name goes, its argument stays
        text = re.sub(r"\\[A-Za-z]+\*?\s*", "", value.replace("~", " ")).replace("\\", "")
        text = text.replace("---", "—").replace("--", "–")
    return text.replace("\u00a0", " ").replace(TILDE, "~")


def _strip_braces(text: str) -> str:
    return re.sub(r"(?<!\\)[{}]", "", text)


# -- names


def split_top(value: str, pattern: str) -> list[str]:
    """``value`` split where ``pattern`` matches outside braces."""
    parts, depth, start = [], 0, 0
    regex = re.compile(pattern)
    index = 0
    while index < len(value):
        char = value[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and (match := regex.match(value, index)):
            parts.append(value[start:index])
            start = index = match.end()
            continue
        index += 1
    parts.append(value[start:])
    return [part.strip() for part in parts]


def names(value: str) -> list[dict[str, str]]:
    """CSL names of a BibTeX name list (``A and B and others``)."""
    return [name for part in split_top(value.strip(), r"\s+and\s+") if part and (name := _name(part))]


def _capitalised(word: str) -> bool:
    if word.startswith("{") and not word.startswith("{\\"):
        return True  # a braced word counts as capitalised, as in BibTeX
    letters = [char for char in latex_text(word) if char.isalpha()]
    return not letters or letters[0].isupper()


def _name(raw: str) -> dict[str, str]:
    if raw == "others":
        return {"literal": "others"}
    if raw.startswith("{") and raw.endswith("}") and split_top(raw, r"\s+") == [raw]:
        return {"literal": latex_text(raw)}
    raw = re.sub(r"(?<![A-Za-z])([A-Z])\.([A-Z])(?![a-z])", r"\1. \2", raw)  # "J.G. Smith" reads as "J. G. Smith"
    raw = re.sub(r"(?<![A-Za-z])([A-Z])\.([A-Z])(?![a-z])", r"\1. \2", raw)
    parts = [[word for word in split_top(part.replace("~", " "), r"\s+") if word] for part in split_top(raw, r",")]
    suffix: list[str] = []
    if len(parts) == 1:
        words = parts[0]
        caps = 0
        while caps < len(words) and _capitalised(words[caps]):
            caps += 1
        if caps == len(words):
            given, von_last = words[:-1], words[-1:]
        else:
            given, von_last = words[:caps], words[caps:]
    elif len(parts) == 2:
        von_last, given = parts[0], parts[1]
    else:
        von_last, suffix, given = parts[0], parts[1], parts[2]
    split = next((index for index, word in enumerate(von_last) if _capitalised(word)), len(von_last))
    von, last = (von_last[:split], von_last[split:]) if split < len(von_last) else (von_last[:-1], von_last[-1:])
    given = [word + "." if re.fullmatch(r"[A-Z]", word) else word for word in given]  # "Alan C": an initial
    name = {"family": " ".join(map(latex_text, last)), "given": " ".join(map(latex_text, given)),
            "dropping-particle": " ".join(map(latex_text, von)), "suffix": " ".join(map(latex_text, suffix))}  # fmt: skip
    return {key: text for key, text in name.items() if text}


# -- titles


def sentence_case(markup: str) -> str:
    """A title in CSL JSON markup in sentence case: each word written with one capital
    (``Mesh``, ``Three-Dimensional``) lowered except the first and the first after a colon;
    nocase spans and words with other capitals (``AMReX``, ``PETSc``) kept."""
    out = []
    first = True
    for piece in re.split(r"(<span class=\"nocase\">.*?</span>)", markup):
        if piece.startswith(NOCASE[0]):
            out.append(piece)
            first = False
            continue
        tokens = re.split(r"(\s+)", piece)
        for index, token in enumerate(tokens):
            if not token or token.isspace():
                out.append(token)
                continue
            if not first:
                token = "-".join(part.lower() if re.fullmatch(r"[^\w]*[A-Z][a-z]*[^\w]*", part) else part for part in token.split("-"))
            out.append(token)
            first = token.endswith(":")
            del index
    return "".join(out)


# -- entries


def _date(fields: dict[str, str], prefix: str = "") -> dict[str, Any] | None:
    if fields.get(f"{prefix}date"):
        found = re.findall(r"(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", fields[f"{prefix}date"])
        parts = [[int(value) for value in match if value] for match in found[:2]]
        return {"date-parts": parts} if parts else {"literal": latex_text(fields[f"{prefix}date"])}
    year_text = latex_text(fields.get(f"{prefix}year", "")).strip()
    if not year_text:
        return None
    year = re.fullmatch(r"-?\d+", year_text)
    if not year:
        return {"literal": year_text}
    date = [int(year_text)]
    month_text = latex_text(fields.get(f"{prefix}month", "")).strip().lower()
    month = int(month_text) if month_text.isdigit() else MONTHS.index(month_text[:3]) + 1 if month_text[:3] in MONTHS else None
    if month:
        date.append(month)
        day = latex_text(fields.get(f"{prefix}day", "")).strip()
        if day.isdigit():
            date.append(int(day))
    return {"date-parts": [date]}


def to_csl(entry: Entry) -> dict[str, Any]:
    """One entry as a CSL JSON item."""
    fields, kind = entry.fields, entry.kind
    item: dict[str, Any] = {"id": entry.key, "type": TYPES.get(kind, "")}

    def markup(name: str) -> str | None:
        return whole_words(latex_markup(fields[name]).strip()) if fields.get(name, "").strip() else None

    def title(name: str) -> str | None:
        text = latex_markup(fields[name]).strip() if fields.get(name, "").strip() else None
        return whole_words(sentence_case(text)) if text else None

    def joined(*parts: str | None, separator: str) -> str | None:
        present = [part for part in parts if part]
        if not present:
            return None
        text = present[0]
        for part in present[1:]:
            text += (" " if re.search(r"[!?.,:;]$", text) else separator + " ") + part
        return text

    for role in ("author", "editor", "translator"):
        if fields.get(role, "").strip():
            item[role] = names(fields[role])
    item["title"] = joined(joined(title("title"), title("subtitle"), separator=":"), title("titleaddon"), separator=".")
    if kind in CHAPTER_LIKE:
        item["container-title"] = joined(title("booktitle"), title("booksubtitle"), separator=":")
    else:
        item["container-title"] = joined(markup("journaltitle") or markup("journal"), markup("journalsubtitle"), separator=":")
    item["collection-title"] = title("series")
    item["title-short"] = title("shorttitle")
    item["publisher"] = joined(
        *(markup(name) for name in ("school", "institution", "organization", "howpublished", "publisher")), separator=";"
    )
    item["publisher-place"] = markup("address") or markup("location")
    if markup("pages"):
        item["page"] = latex_text(fields["pages"]).replace("–", "-").replace("—", "-").strip()
    item["volume"] = joined(markup("volume"), markup("part"), separator=".")
    number = markup("number")
    if number and kind in BOOK_LIKE:
        item["collection-number"] = number
    elif kind in ARTICLE_LIKE:
        item["issue"] = joined(number, markup("issue"), separator=",")
    else:
        item["number"] = number
    for source, target in (("edition", "edition"), ("chapter", "chapter-number"), ("version", "version"), ("volumes", "number-of-volumes"),
                           ("pagetotal", "number-of-pages"), ("abstract", "abstract"), ("keywords", "keyword")):  # fmt: skip
        item[target] = markup(source)
    item["note"] = joined(markup("note"), markup("addendum"), separator=".")
    for source, target in (("doi", "DOI"), ("isbn", "ISBN"), ("issn", "ISSN"), ("pmid", "PMID"), ("pmcid", "PMCID")):
        if fields.get(source, "").strip():
            item[target] = fields[source].strip()
    if fields.get("url", "").strip():
        item["URL"] = fields["url"].strip()
    elif fields.get("eprinttype", "").strip().lower() == "arxiv" and fields.get("eprint", "").strip():
        item["URL"] = ARXIV + fields["eprint"].strip()
    item["issued"] = _date(fields)
    item["accessed"] = _date(fields, "url")
    if kind in ("mastersthesis", "phdthesis") and "type" not in fields:
        item["genre"] = "Master’s thesis" if kind == "mastersthesis" else "PhD thesis"
    elif fields.get("type", "").strip():
        item["genre"] = markup("type")
    return {key: value for key, value in item.items() if key == "type" or value not in (None, "", [])}
