"""The layer contract: imports point down only, and no import circle.

    __main__ → cli → web → demo → project → outputs → analysis → review | exchange → coding | ingest → store → base

(base: records, errors, version, and small helpers every layer may use). Every import
counts, also those inside functions and under TYPE_CHECKING: a lazy import that
points up is still a circle waiting to happen.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qualcode"

# Highest first. Modules of one layer may import each other only within their own part
# (qualcode.review.* may import qualcode.review.*, not qualcode.exchange.*).
LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),
    ("web",),
    ("demo",),
    ("project",),
    ("outputs",),
    ("analysis",),
    ("review", "exchange"),
    ("coding", "ingest", "privacy"),
    ("store",),
    ("records", "errors", "version", "xlsx_safe", "resources", "zipsafe", "atomic", "batches"),
]


def _part(module: str) -> str:
    """'qualcode.store.codings' -> 'store'; the package root is ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _level(part: str) -> int:
    for level, parts in enumerate(LAYERS):
        if part in parts:
            return level
    raise AssertionError(f"qualcode.{part} is in no layer: add it to LAYERS in tests/test_layers.py")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The qualcode modules ``module`` imports (a name imported from a package counts as its submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "qualcode")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "qualcode":
                continue
            subs = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known}
            found.update(subs or {target})
    return {m for m in found if m != module}


MODULES = _modules()
GRAPH = {m: _imports(m, p, set(MODULES)) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "qualcode"))
def test_imports_point_down_only(module):
    here = _part(module)
    for target in sorted(GRAPH[module]):
        there = _part(target)
        if there == here:
            continue
        assert there != "", f"{module} imports the package root `qualcode` (which leads to Project); import the module itself"
        assert _level(there) > _level(here), (
            f"{module} (layer {here}) imports {target} (layer {there}): imports must point down the layers "
            f"{' → '.join('|'.join(p) for p in LAYERS)}"
        )


def test_the_import_graph_has_no_circle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        for w in GRAPH.get(v, ()):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in MODULES:
        if v not in index:
            visit(v)
    assert circles == [], f"import circles: {circles}"


def test_only_the_store_runs_sql():
    offenders = []
    for module, path in MODULES.items():
        if _part(module) == "store":
            continue
        text = path.read_text(encoding="utf-8")
        if ".execute(" in text or ".executemany(" in text:
            offenders.append(module)
    assert offenders == [], f"SQL outside qualcode/store/: {offenders}"


def test_the_layer_contract_sees_a_violation(tmp_path):
    # The check itself must be able to fail: an upward import is caught.
    bad = tmp_path / "bad.py"
    bad.write_text("from qualcode.project import Project\n", encoding="utf-8")
    targets = _imports("qualcode.store.bad", bad, set(MODULES))
    assert "qualcode.project" in targets and _level(_part("qualcode.project")) < _level("store")
