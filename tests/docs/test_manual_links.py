"""Every relative link in the manual (``docs/*.md``), the README and ``contributing-docs/`` leads somewhere.

``mkdocs build --strict`` (in ``scripts/test.sh``) checks the links between the pages of the
built site, with the anchors the site generates. The same files are also read as plain Markdown
in the repository, where the README links into ``docs/`` and anchors follow GitHub's rule (and
the contributing docs, which are not part of the site, are read only there). This
test checks that reading: each relative link names an existing file, and each ``#anchor`` a
heading of the target page, spelled the way GitHub spells it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    *sorted((REPO_ROOT / "docs").glob("*.md")),
    REPO_ROOT / "README.md",
    *sorted((REPO_ROOT / "contributing-docs").glob("*.md")),
]

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?\1")
HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
# [text](target "title") and ![alt](target); the text may run over line ends.
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.MULTILINE)
HTML_TARGET = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)=["']([^"']*)["']""", re.IGNORECASE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def without_code_blocks(markdown: str) -> str:
    """The text with fenced code blocks blanked (a ``#`` there starts no heading, nothing is a link)."""
    lines: list[str] = []
    fence = ""
    for line in markdown.splitlines():
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            lines.append("")
        elif opening:
            fence = opening.group(1)
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, punctuation dropped, spaces as -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in HEADING.findall(without_code_blocks(page.read_text(encoding="utf-8"))):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    """The link targets in a page that point into the repository (no URL scheme, no //host)."""
    text = CODE_SPAN.sub("", without_code_blocks(page.read_text(encoding="utf-8")))
    targets = [
        m.group(1)
        for pattern in (INLINE_LINK, REFERENCE_DEFINITION, HTML_TARGET)
        for m in pattern.finditer(text)
    ]
    return [t for t in targets if not SCHEME.match(t) and not t.startswith("//")]


def broken_links(page: Path, root: Path) -> list[str]:
    """What is wrong with each relative link in ``page`` that does not lead to a file and anchor."""
    problems: list[str] = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        shown = f"{page.relative_to(root)}: link {target!r}"
        if not destination.is_relative_to(root):
            problems.append(f"{shown} leaves the repository")
        elif not destination.exists():
            problems.append(f"{shown}: {destination.relative_to(root)} does not exist")
        elif anchor and destination.suffix != ".md":
            problems.append(f"{shown}: an anchor into a file that is not Markdown")
        elif anchor and anchor not in anchors(destination):
            problems.append(f"{shown}: {destination.relative_to(root)} has no heading with anchor #{anchor}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_leads_to_an_existing_file_and_anchor(page: Path) -> None:
    assert broken_links(page, REPO_ROOT) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_link_in_the_page_is_read(page: Path) -> None:
    # Guards against a link the patterns do not match, which would go unchecked: each "](" in
    # the prose starts an inline link that INLINE_LINK finds.
    text = CODE_SPAN.sub("", without_code_blocks(page.read_text(encoding="utf-8")))
    assert len(INLINE_LINK.findall(text)) == text.count("](")


def test_the_readme_links_into_the_manual() -> None:
    assert "docs/ui.md" in relative_links(REPO_ROOT / "README.md")


def test_a_missing_file_and_a_missing_anchor_are_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Who may answer\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[fine](other.md#who-may-answer), [also fine](#page), ![fine](other.md)\n"
        "[gone](missing.md) and [a\nwrong anchor](other.md#who-may-anwser)\n"
        '<img src="missing.png">\n\n'
        "[ref]: ../../outside.md\n",
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == [
        "page.md: link 'missing.md': missing.md does not exist",
        "page.md: link 'other.md#who-may-anwser': other.md has no heading with anchor #who-may-anwser",
        "page.md: link '../../outside.md' leaves the repository",
        "page.md: link 'missing.png': missing.png does not exist",
    ]


def test_links_and_headings_in_code_are_not_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n`[not a link](missing.md)`\n\n   ```bash\n# not a heading\n[x](missing.md)\n   ```\n",
        encoding="utf-8",
    )
    assert relative_links(page) == []
    assert anchors(page) == {"page"}


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Command line: `airflowctl-hitl`", "command-line-airflowctl-hitl"),
        ("`respond`, `approve`, `reject`", "respond-approve-reject"),
        (
            'If the page says "Required Actions is not built"',
            "if-the-page-says-required-actions-is-not-built",
        ),
        ("What `hitl_links` offers", "what-hitl_links-offers"),
        ("A - B", "a---b"),
    ],
)
def test_anchors_are_spelled_as_github_spells_them(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Example\n\n## Example\n\n## Example\n", encoding="utf-8")
    assert anchors(page) == {"example", "example-1", "example-2"}
