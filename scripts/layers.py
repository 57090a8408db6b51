#!/usr/bin/env python3
"""Checks that the layers of Sources/App point one way: Platform and Database know no feature
and not the web layer, Web knows no feature, and features know each other only as allowed.

A file "knows" a layer when it names a type declared there (top-level struct, enum, class,
protocol, actor or typealias). Exits 1 and lists every edge that breaks a rule; `--graph`
prints every edge between layers. Also keeps every production Swift file (Sources/) at most
250 lines, so that a file holds one thing a reader can take in (issue #23)."""
import pathlib
import re
import sys
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Sources" / "App"
DECLARATION = re.compile(r"^(?:(?:public|internal|final|private|fileprivate|package|nonisolated|indirect)\s+)*"
                         r"(?:struct|enum|class|protocol|actor|typealias)\s+([A-Z]\w*)", re.M)
WORD = re.compile(r"\b[A-Z]\w*\b")
COMMENT = re.compile(r"//.*?$|/\*.*?\*/", re.S | re.M)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')

MAX_LINES = 250

# What each layer may know besides itself. Features may know the shared layers and the
# features listed.
SHARED = {"Platform", "Database"}
ALLOWED = {
    "Platform": {"Database"},
    "Database": set(),
    "Web": SHARED,
    "root": SHARED | {"Web", "Features"},  # configure.swift and routes.swift wire everything
}
FEATURE_DEPENDENCIES = {
    "Accounts": {"Teams"},
    "Teams": set(),
    "APIKeys": {"Accounts", "Teams", "Webhooks"},
    "KeyLeaks": {"APIKeys", "Teams", "Webhooks"},
    "Events": {"APIKeys", "Webhooks"},
    "Webhooks": {"Teams"},
    "Docs": {"APIKeys"},
}


def layer(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "Features":
        return parts[1]
    return parts[0] if len(parts) > 1 else "root"


def allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source in ALLOWED:
        return target in ALLOWED[source] or (source == "root")
    return target in SHARED | {"Web"} | FEATURE_DEPENDENCIES.get(source, set())


def main() -> int:
    files = sorted(ROOT.rglob("*.swift"))
    declared: dict[str, str] = {}
    texts: dict[pathlib.Path, str] = {}
    for file in files:
        text = STRING.sub('""', COMMENT.sub("", file.read_text()))
        texts[file] = text
        for name in DECLARATION.findall(text):
            declared.setdefault(name, layer(file))
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for file, text in texts.items():
        source = layer(file)
        for word in set(WORD.findall(text)):
            target = declared.get(word)
            if target and target != source:
                edges[(source, target)].add(f"{file.relative_to(ROOT)} → {word}")
    if "--graph" in sys.argv:
        for (source, target), uses in sorted(edges.items()):
            print(f"{source} → {target}: {len(uses)}")
    broken = {edge: uses for edge, uses in edges.items() if not allowed(*edge)}
    for (source, target), uses in sorted(broken.items()):
        print(f"{source} must not know {target}:")
        for use in sorted(uses):
            print(f"  {use}")
    long = [(len(f.read_text().splitlines()), f) for f in sorted(ROOT.parent.rglob("*.swift"))]
    long = [(n, f) for n, f in long if n > MAX_LINES]
    for n, file in long:
        print(f"{file.relative_to(ROOT.parent.parent)}: {n} lines, more than {MAX_LINES}: split it by what it holds")
    if broken or long:
        return 1
    print(f"layers: {len(files)} files, {len(edges)} edges between layers, none against the rules; "
          f"no source file over {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
