"""Deterministic Markdown for the benchmark: realistic articles and one long document.

Every article has front matter, headings, paragraphs with inline markup and links, bulleted and
numbered lists, a pipe table, a fenced code block and a footnote: the constructs Pressroom and
Pandoc both read the same way. The same seed always gives the same bytes.
"""

from __future__ import annotations

import random

TOPICS: list[tuple[str, list[str]]] = [
    ("School Library Budgets", ["budget", "grant", "purchase order", "vendor quote", "fiscal year", "line item"]),
    ("Digital Literacy", ["search strategy", "source evaluation", "citation", "database", "media bias", "fact check"]),
    ("Reading Programs", ["reading challenge", "book club", "author visit", "reading log", "summer program", "genre display"]),
    (
        "Collection Development",
        ["weeding policy", "circulation report", "acquisition plan", "series gap", "diverse title", "reorder list"],
    ),
    ("Makerspaces", ["3D printer", "robotics kit", "sewing station", "laser cutter", "circuit board", "design brief"]),
    ("Information Ethics", ["privacy policy", "fair use", "copyright notice", "open licence", "data request", "consent form"]),
    (
        "Teacher Collaboration",
        ["co-taught unit", "research project", "planning meeting", "shared rubric", "lesson plan", "exit ticket"],
    ),
    ("Library Technology", ["catalogue", "barcode scanner", "self-checkout", "e-book platform", "login portal", "device cart"]),
    ("Community Outreach", ["family night", "public library card", "newsletter", "volunteer", "partner school", "local archive"]),
    (
        "Advocacy",
        ["annual report", "board presentation", "usage statistic", "student testimonial", "staffing ratio", "survey result"],
    ),
]

ADJECTIVES = [
    "practical",
    "overlooked",
    "sustainable",
    "inclusive",
    "measurable",
    "affordable",
    "well-documented",
    "student-centred",
    "flexible",
    "long-term",
    "collaborative",
    "transparent",
    "low-cost",
    "consistent",
]
VERBS = [
    "supports",
    "simplifies",
    "complicates",
    "reshapes",
    "strengthens",
    "depends on",
    "reveals",
    "encourages",
    "replaces",
    "clarifies",
    "extends",
    "protects",
    "documents",
    "connects",
]
PEOPLE = [
    "library media specialists",
    "classroom teachers",
    "students",
    "principals",
    "parents",
    "district coordinators",
    "volunteers",
    "new staff",
    "school boards",
    "public librarians",
]
OPENERS = [
    "In practice,",
    "Over a school year,",
    "More often than not,",
    "For most campuses,",
    "In our experience,",
    "Looking at the numbers,",
    "Put simply,",
    "At the district level,",
    "On a busy Monday,",
    "Across grade levels,",
]
CLOSERS = [
    "and that changes how the week is planned",
    "which is easy to miss at first",
    "even on a tight schedule",
    "long before anyone asks for a report",
    "without adding another meeting",
    "for every grade we serve",
    "when the shelves are already full",
    "as long as someone writes it down",
    "and the students notice",
]
LANGUAGES: dict[str, list[str]] = {
    "python": [
        "from collections import Counter",
        "",
        "def overdue_by_grade(loans):",
        '    """Count overdue loans per grade level."""',
        "    counts = Counter()",
        "    for loan in loans:",
        '        if loan["days_late"] > {n}:',
        '            counts[loan["grade"]] += 1',
        "    return counts.most_common({m})",
    ],
    "bash": [
        "#!/bin/sh",
        "# nightly export of the circulation log",
        "set -eu",
        'day="$(date +%Y-%m-%d)"',
        'curl -s "https://catalogue.example.org/export?days={n}" > "loans-$day.csv"',
        'wc -l "loans-$day.csv"',
        'gzip -{m} "loans-$day.csv"',
    ],
    "json": [
        "{{",
        '  "branch": "north-campus",',
        '  "open_hours": {n},',
        '  "stations": ["checkout", "printing", "maker"],',
        '  "staff": {m},',
        '  "reservations": true',
        "}}",
    ],
    "sql": [
        "SELECT grade, COUNT(*) AS loans",
        "FROM circulation",
        "WHERE checkout_date >= DATE '2024-0{m}-01'",
        "  AND days_late < {n}",
        "GROUP BY grade",
        "ORDER BY loans DESC;",
    ],
}


class ArticleWriter:
    """Builds Markdown from a seeded random stream (same seed, same text)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def sentence(self, nouns: list[str]) -> str:
        """One plausible sentence about the topic, with occasional inline markup."""
        r = self.rng
        noun = r.choice(nouns)
        if r.random() < 0.15:
            noun = f"*{noun}*"
        elif r.random() < 0.1:
            noun = f"**{noun}**"
        elif r.random() < 0.08:
            noun = f"`{noun.replace(' ', '_')}`"
        adjective = r.choice(ADJECTIVES)
        body = f"{'an' if adjective[0] in 'aeiou' else 'a'} {adjective} {noun} {r.choice(VERBS)} the work of {r.choice(PEOPLE)}"
        if r.random() < 0.1:
            slug = r.choice(nouns).replace(" ", "-")
            body += f" (see [the {r.choice(nouns)} guide](https://library.example.org/guides/{slug}))"
        text = f"{r.choice(OPENERS)} {body}, {r.choice(CLOSERS)}."
        return text

    def paragraph(self, nouns: list[str], low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence(nouns) for _ in range(self.rng.randint(low, high)))

    def bullet_list(self, nouns: list[str], numbered: bool = False) -> str:
        items = []
        for index in range(self.rng.randint(3, 6)):
            marker = f"{index + 1}." if numbered else "-"
            noun = self.rng.choice(nouns)
            items.append(f"{marker} {noun.capitalize()}: {self.rng.choice(ADJECTIVES)}, {self.rng.choice(CLOSERS)}.")
        return "\n".join(items)

    def table(self, nouns: list[str]) -> str:
        r = self.rng
        rows = ["| Item | Term | Cost (USD) | Owner |", "| --- | --- | ---: | --- |"]
        for noun in r.sample(nouns, k=min(len(nouns), r.randint(3, 5))):
            rows.append(f"| {noun.capitalize()} | {r.choice(['Fall', 'Winter', 'Spring', 'Summer'])} | "
                        f"{r.randint(40, 4000):,} | {r.choice(PEOPLE).capitalize()} |")  # fmt: skip
        return "\n".join(rows)

    def code_block(self) -> str:
        language = self.rng.choice(sorted(LANGUAGES))
        lines = [line.format(n=self.rng.randint(2, 30), m=self.rng.randint(1, 9)) for line in LANGUAGES[language]]
        return "\n".join([f"```{language}", *lines, "```"])

    def section_blocks(self, nouns: list[str], note_label: str, with_note: bool) -> tuple[list[str], str | None]:
        """The body of one H2 section; the footnote definition comes back separately."""
        r = self.rng
        blocks = [self.paragraph(nouns)]
        note = None
        if with_note:
            blocks[0] += f"[^{note_label}]"
            note = f"[^{note_label}]: {self.sentence(nouns)} {self.sentence(nouns)}"
        if r.random() < 0.5:
            blocks.append(f"### {r.choice(ADJECTIVES).capitalize()} {r.choice(nouns)}")
            blocks.append(self.paragraph(nouns, 2, 4))
        if r.random() < 0.2:
            blocks.append("> " + self.sentence(nouns))
        return blocks, note

    def article(self, index: int, sections: tuple[int, int] = (3, 6)) -> str:
        """A complete article: front matter plus 3–6 sections with every construct at least once."""
        r = self.rng
        title, nouns = TOPICS[index % len(TOPICS)]
        headline = f"{title}: {r.choice(ADJECTIVES).capitalize()} {r.choice(nouns).capitalize()}s in Practice ({index + 1})"
        front = [
            "---",
            f'title: "{headline}"',
            f'author: "{r.choice(["Ana Ruiz", "Sam Okafor", "Lee Chen", "Priya Nair", "Jo Becker"])}"',
            f"date: 2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "lang: en",
            f'summary: "{self.sentence(nouns)}"',
            f"keywords: [{', '.join(r.sample(nouns, k=3))}]",
            "---",
        ]
        count = r.randint(*sections)
        placed = {block: r.randrange(count) for block in ("list", "ordered", "table", "code")}
        note_at = r.randrange(count)
        blocks: list[str] = [self.paragraph(nouns)]
        notes: list[str] = []
        for number in range(count):
            blocks.append(f"## {r.choice(ADJECTIVES).capitalize()} {r.choice(nouns)} for {r.choice(PEOPLE)}")
            body, note = self.section_blocks(nouns, f"n{number + 1}", number == note_at)
            blocks.extend(body)
            if note:
                notes.append(note)
            if placed["list"] == number:
                blocks.extend([f"What to check for each {r.choice(nouns)}:", self.bullet_list(nouns)])
            if placed["ordered"] == number:
                blocks.extend(["The steps, in order:", self.bullet_list(nouns, numbered=True)])
            if placed["table"] == number:
                blocks.extend([self.paragraph(nouns, 1, 2), self.table(nouns)])
            if placed["code"] == number:
                blocks.extend(["A small script we use for this:", self.code_block()])
        return "\n".join(front) + "\n\n" + "\n\n".join(blocks + notes) + "\n"


def article_text(index: int, seed: int) -> str:
    """Article ``index`` of the corpus for ``seed`` (3–8 KB of Markdown)."""
    writer = ArticleWriter(seed * 100_003 + index)
    text = writer.article(index)
    while not 3000 <= len(text.encode()) <= 8000:  # redraw from the same stream: still deterministic
        text = writer.article(index)
    return text


def long_document(target_bytes: int, seed: int) -> str:
    """One long document of about ``target_bytes``: many sections, each with its own footnote."""
    writer = ArticleWriter(seed)
    r = writer.rng
    parts = [
        "---",
        'title: "The School Library Handbook: A Long Benchmark Document"',
        'author: "Pressroom Benchmarks"',
        "date: 2024-06-01",
        "lang: en",
        'summary: "A generated handbook of about 150 pages used to time long documents."',
        "keywords: [school libraries, handbook, benchmark]",
        "---",
        "",
        writer.paragraph(TOPICS[0][1]),
    ]
    notes: list[str] = []
    chapter = 0
    while sum(len(p.encode()) + 2 for p in parts + notes) < target_bytes:
        title, nouns = TOPICS[chapter % len(TOPICS)]
        chapter += 1
        blocks = [f"## {chapter}. {title}"]
        for number in range(r.randint(3, 5)):
            blocks.append(f"### {r.choice(ADJECTIVES).capitalize()} {r.choice(nouns)} for {r.choice(PEOPLE)}")
            body, note = writer.section_blocks(nouns, f"c{chapter}s{number + 1}", r.random() < 0.6)
            blocks.extend(body)
            if note:
                notes.append(note)
        blocks.extend([f"What to check for each {r.choice(nouns)}:", writer.bullet_list(nouns)])
        blocks.extend([writer.paragraph(nouns, 1, 2), writer.table(nouns)])
        blocks.extend(["A small script we use for this:", writer.code_block()])
        blocks.extend(["The steps, in order:", writer.bullet_list(nouns, numbered=True)])
        parts.append("\n\n".join(blocks))
    return "\n".join(parts[:9]) + "\n" + "\n\n".join(parts[9:] + notes) + "\n"
