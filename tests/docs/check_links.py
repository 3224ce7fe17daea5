#!/usr/bin/env python3
"""Checks every relative link of the repository's Markdown files: the file it names must exist, and an
anchor (#section) must be a heading of that file, spelled as GitHub spells heading anchors.

Usage: check_links.py <repository root>
Prints one line per broken link (file:line: link: why) and exits 1 if there is any, 0 otherwise.
Links to other sites (http:, https:, mailto:) are not followed. Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

# Folders that hold other projects' Markdown or build output, not ours.
SKIPPED_DIRS = {".git", "node_modules", "build", "dist"}

INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def markdown_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.md")):
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            found.append(path)
    return found


def prose_lines(text: str):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif match.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield number, line


def heading_text(raw: str) -> str:
    """The text GitHub renders for a heading's Markdown: links and emphasis reduced to their words."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    text = CODE_SPAN.sub(lambda m: m.group(2), text)
    return re.sub(r"(\*+|(?<![\w])_+|_+(?![\w]))", "", text)


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (not '-' or '_'), spaces to '-'."""
    text = heading_text(text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    text = path.read_text(encoding="utf-8")
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
        result.update(HTML_ANCHOR.findall(line))
    return result


def links(path: Path):
    """(line number, target) of every link written in prose (code spans and blocks excluded)."""
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        prose = CODE_SPAN.sub("", line)
        for match in INLINE_LINK.finditer(prose):
            yield number, match.group(1)
        match = REFERENCE_DEFINITION.match(prose)
        if match:
            yield number, match.group(1)


def problem(source: Path, target: str, root: Path, anchor_cache: dict[Path, set[str]]) -> str | None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return None  # another site, or mailto:
    path_part, _, anchor = target.partition("#")
    path_part = unquote(path_part)
    if path_part.startswith("/"):
        resolved = root / path_part.lstrip("/")
    elif path_part:
        resolved = (source.parent / path_part).resolve()
    else:
        resolved = source
    if not resolved.exists():
        return "no such file"
    if anchor and resolved.suffix == ".md" and resolved.is_file():
        if resolved not in anchor_cache:
            anchor_cache[resolved] = anchors(resolved)
        if unquote(anchor).lower() not in anchor_cache[resolved]:
            return f"no heading #{anchor} in {resolved.relative_to(root)}"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    files = markdown_files(root)
    anchor_cache: dict[Path, set[str]] = {}
    broken = 0
    checked = 0
    for path in files:
        for number, target in links(path):
            checked += 1
            why = problem(path, target, root, anchor_cache)
            if why:
                broken += 1
                print(f"{path.relative_to(root)}:{number}: {target}: {why}")
    print(f"{checked} links in {len(files)} Markdown files, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
