"""docs/layouts.md: every variable, block, function and filter the layouts use is documented, and
its example of overriding a block builds."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.nodes
import pytest
from helpers import REPO, pdf_text, run_cli, write_article

from pressroom.load.metadata import Metadata
from pressroom.load.settings import BUILTIN_LAYOUTS
from pressroom.render.layouts import environment

DOC = (REPO / "docs" / "layouts.md").read_text(encoding="utf-8")
TEMPLATES = sorted(p for p in BUILTIN_LAYOUTS.rglob("*") if p.suffix in {".html", ".xhtml"})


def documented(name: str) -> bool:
    return f"`{name}`" in DOC or f"`{name}(" in DOC


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(BUILTIN_LAYOUTS).as_posix())
def test_every_variable_and_block_of_a_template_is_documented(template: Path) -> None:
    tree = environment((BUILTIN_LAYOUTS,)).parse(template.read_text(encoding="utf-8"))  # knows Pressroom's filters
    names = jinja2.meta.find_undeclared_variables(tree)
    blocks = {block.name for block in tree.find_all(jinja2.nodes.Block)}
    assert sorted(n for n in names | blocks if not documented(n)) == []
    assert f"`{template.relative_to(BUILTIN_LAYOUTS).as_posix()}`" in DOC


def test_every_metadata_field_and_filter_and_function_is_documented() -> None:
    fields = [f"meta.{f.name}" for f in dataclasses.fields(Metadata)] + ["meta.running_title"]
    assert [f for f in fields if not documented(f)] == []
    env = environment((BUILTIN_LAYOUTS,))
    own_filters = set(env.filters) - set(jinja2.Environment().filters)
    own_globals = set(env.globals) - set(jinja2.Environment().globals)
    assert own_filters and own_globals
    assert sorted(n for n in own_filters | own_globals if not documented(n)) == []


def test_the_example_override_builds(tmp_path: Path) -> None:
    (example,) = re.findall(r"<!-- example: (\S+) -->\n```jinja\n(.*?)```", DOC, re.S)
    name, template = example
    write_article(tmp_path / "layouts", template, name)
    write_article(tmp_path, "---\ntitle: Programme\ndate: 2024-05-31\nevent: {name: Book Fair}\n---\n\nText.\n", "a.md")
    run = run_cli("a.md", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert run.code == 0, run.err
    assert "Printed for Book Fair, 31 May 2024." in pdf_text(tmp_path / "out" / "a.pdf")[0]
