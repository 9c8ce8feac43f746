"""Every link in the repository's Markdown resolves: relative files and folders exist, #anchors exist.

External links are not fetched (the test run is offline); they are only
allowed to be https.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.docs.markdown import (ROOT, anchors, cell_count, doc_files, learning_files, links, slug,
                                 split, tables)

DOCS = doc_files()


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    problems = []
    for line, target in links(path.read_text()):
        where = f"{path.relative_to(root)}:{line}: {target}"
        if target.startswith(("http://", "https://", "mailto:")):
            if target.startswith("http://") and not target.startswith(("http://localhost", "http://127.0.0.1")):
                problems.append(f"{where} (use https)")
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{where} (no such file)")
        elif not linked.is_relative_to(root):
            problems.append(f"{where} (outside the repository)")
        elif anchor:
            if linked.suffix != ".md":
                problems.append(f"{where} (anchor into a file that is not Markdown)")
            elif anchor not in anchors(linked.read_text()):
                problems.append(f"{where} (no heading with anchor #{anchor})")
    return problems


def test_there_are_docs_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in DOCS}
    assert {"docs/README.md", "docs/architecture.md", "demos/README.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_links_resolve(path):
    assert broken_links(path) == []


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_code_block_is_closed_and_tagged(path):
    blocks, _ = split(path.read_text())  # raises on an unclosed fence
    assert all(block.language for block in blocks), "tag every code block (sh, mermaid, ...)"


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_table_row_has_the_columns_of_its_header(path):
    # GitHub cuts a row at every unescaped '|', even inside `code`: a stray one shifts the row.
    ragged = [f"line {number}: {cell_count(row)} cells, header {cell_count(table[0][1])}"
              for table in tables(path.read_text()) for number, row in table
              if cell_count(row) != cell_count(table[0][1])]
    assert ragged == []


def test_every_page_is_reachable_from_an_index():
    pages = learning_files()
    linked = set()
    for path in pages:
        for _, target in links(path.read_text()):
            file_part = target.partition("#")[0]
            if file_part and not target.startswith(("http://", "https://")):
                linked.add((path.parent / file_part).resolve())
    orphans = [path.relative_to(ROOT).as_posix() for path in pages
               if path.name != "README.md" and path.resolve() not in linked]
    assert orphans == []


def test_the_checker_finds_a_broken_link_and_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [bad](#nothing) [gone](missing.md) `[code](ignored.md)`\n"
                    "```sh\n[in a block](ignored.md)\n```\n")
    assert [problem.split(": ", 1)[1] for problem in broken_links(page, root=tmp_path)] == [
        "#nothing (no heading with anchor #nothing)", "missing.md (no such file)"]


def test_a_pipe_inside_code_counts_as_a_column():
    assert cell_count("| `a|b` | c |") == 3
    assert cell_count("| `a\\|b` | c |") == 2


@pytest.mark.parametrize("heading, anchor", [
    ("Chapter 3: the nginx front", "chapter-3-the-nginx-front"),
    ("Build your own overlay from components", "build-your-own-overlay-from-components"),
    ("`make run` and *more*", "make-run-and-more"),
    ("Rancher: 2.x (Helm, Fleet)", "rancher-2x-helm-fleet"),
])
def test_anchors_follow_githubs_rule(heading, anchor):
    assert slug(heading) == anchor
