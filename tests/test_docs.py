"""The README stays short, and every relative link in it, CONTRIBUTING.md and docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 18_000  # bytes: the README is for users and operators; measurements go to docs/

# [text](target) and ![alt](target); the target ends at the first space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def links(markdown: str) -> list[str]:
    """The link targets of ``markdown`` outside code, where a link is only text.

    >>> links("[a](docs/A.md) `[b](no.md)` ![c](x.png#top \\"t\\")")
    ['docs/A.md', 'x.png#top']
    """
    return LINK.findall(CODE.sub("", FENCE.sub("", markdown)))


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown``.

    >>> sorted(anchors("# Fragen / Asking\\n## The `charta` command\\n```\\n# not a heading\\n```"))
    ['fragen--asking', 'the-charta-command']
    """
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", markdown), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_readme_is_under_the_limit():
    size = README.stat().st_size
    assert size < README_LIMIT, f"README.md has {size} bytes, the limit is {README_LIMIT}: move details to docs/"


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file, or heading in a Markdown file, is missing."""
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no file {dest})")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text(encoding="utf-8")):
            broken.append(f"{target} (no heading #{anchor} in {dest.name})")
    return broken


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(page: Path):
    assert not broken_links(page), f"{page.relative_to(ROOT)}: fix these links"


def test_the_link_check_finds_broken_links(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Start\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Top\n[ok](#top) [up](../README.md#start) [gone](README.md) [anchor](../README.md#nowhere)\n"
        "`[code](missing.md)` [web](https://example.org/x)\n",
        encoding="utf-8",
    )
    assert [b.split(" ")[0] for b in broken_links(page)] == ["README.md", "../README.md#nowhere"]
