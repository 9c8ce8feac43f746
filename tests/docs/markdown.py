"""Just enough Markdown for the docs checks: fenced blocks, links, headings and their anchors.

Anchors follow GitHub's rule: the heading's text in lower case, without
punctuation other than '-' and '_', spaces turned into '-', and a '-1', '-2', ...
suffix for repeated headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The Markdown this project's docs checks cover: the learning path and the demo runbooks.
DOC_FOLDERS = ("docs", "demos")

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
INLINE_CODE = re.compile(r"`+[^`]*`+")


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # line number of the opening fence


NOT_OURS = {"node_modules", "artifacts"}


def doc_files() -> list[Path]:
    """Every Markdown file of the repository: links and commands are checked everywhere.

    Hidden folders (.git, .venv, .pytest_cache, ...) and installed or generated
    folders hold other people's Markdown, not ours."""
    return sorted(path for path in ROOT.rglob("*.md")
                  if not any(part in NOT_OURS or part.startswith(".")
                             for part in path.relative_to(ROOT).parts))


def learning_files() -> list[Path]:
    """The docs and demos pages, which must all be reachable from their indexes."""
    return sorted(path for folder in DOC_FOLDERS for path in (ROOT / folder).rglob("*.md"))


def split(text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """Fenced blocks, and the other lines (number, text) outside them."""
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence, language, body, start = match.group(1), match.group(2).lower(), [], number
        elif fence is not None and line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
            blocks.append(Block(language, "\n".join(body), start))
            fence = None
        elif fence is not None:
            body.append(line)
        else:
            prose.append((number, line))
    if fence is not None:
        raise ValueError(f"a code block opened on line {start} is never closed")
    return blocks, prose


def links(text: str) -> list[tuple[int, str]]:
    """(line, target) of every inline link or image outside code."""
    _, prose = split(text)
    return [(number, match.group(1)) for number, line in prose
            for match in LINK.finditer(INLINE_CODE.sub("", line))]


def slug(heading: str) -> str:
    text = INLINE_CODE.sub(lambda code: code.group(0).strip("`"), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)  # emphasis markers go
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    _, prose = split(text)
    seen: dict[str, int] = {}
    found = set()
    for _, line in prose:
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def tables(text: str) -> list[list[tuple[int, str]]]:
    """Runs of consecutive table rows (lines starting with '|') outside code blocks."""
    _, prose = split(text)
    found: list[list[tuple[int, str]]] = []
    previous = None
    for number, line in prose:
        if line.startswith("|"):
            if previous != number - 1:
                found.append([])
            found[-1].append((number, line))
            previous = number
    return found


def cell_count(row: str) -> int:
    """Cells as GitHub splits them: on every '|' not escaped, even inside `code`."""
    return len(re.findall(r"(?<!\\)\|", row.strip())) - 1
