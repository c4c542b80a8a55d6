#!/usr/bin/env python3
"""Fails when the top-level modules of src/ import each other in a circle.

Every `crate::NAME` (in `use` lines, paths and doc links alike) in a file under src/NAME2/ is
an arrow NAME2 -> NAME. Files directly in src/ (lib.rs, error.rs) are their own modules.
Prints the arrows, then any circle, and exits 1 if there is one.

    python3 scripts/check-layers.py [SRC_DIR]
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
# `use crate::{a, b::c}` groups name several modules at once
GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


def module_of(src: Path, file: Path) -> str:
    rel = file.relative_to(src)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def arrows(src: Path) -> dict[str, set[str]]:
    modules = {module_of(src, f) for f in src.rglob("*.rs")} - {"lib"}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for file in src.rglob("*.rs"):
        here = module_of(src, file)
        if here == "lib":
            continue
        text = file.read_text(encoding="utf-8")
        targets = set(PATH.findall(text))
        for group in GROUP.findall(text):
            targets |= {part.strip().split("::")[0] for part in group.split(",")}
        graph[here] |= {t for t in targets if t in modules and t != here}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "src")
    graph = arrows(src)
    for m in sorted(graph):
        print(f"{m} -> {', '.join(sorted(graph[m])) or '(nothing)'}")
    bad = circles(graph)
    for c in bad:
        print(f"check-layers: import circle between {', '.join(c)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
