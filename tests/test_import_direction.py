"""The layout's promises, read from the source: pages and UI go through services, services know no web
framework outside the webhook, and no two modules import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("services", "ui", "pages", "local_qstash")


def _module_name(path: Path) -> str:
    """services/store/base.py → services.store.base; a package's __init__ is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    """Every first-party module (app.py, the packages) by dotted name."""
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(name: str) -> set[str]:
    """Every module the file imports, anywhere in it (deferred imports included); submodules resolved."""
    tree = ast.parse(SOURCES[name].read_text(), filename=str(SOURCES[name]))
    package = name if SOURCES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in SOURCES else base)
    return found


GRAPH = {name: _imports(name) for name in SOURCES}


def _offenders(prefixes: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    """'a imports b' for each module under prefixes that imports a forbidden module."""
    return sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith(prefixes) and not name.startswith(allowed)
        for target in targets
        if target == forbidden or target.startswith(tuple(f"{f}." for f in forbidden) + forbidden)
    )


def test_pages_and_ui_go_through_services_only():
    """No page, UI helper or the entry file reaches the store or the database layer itself."""
    assert _offenders(("pages", "ui", "app"), ("services.store", "services.db")) == []


def test_services_know_no_web_framework_outside_the_webhook():
    """Streamlit belongs to the dashboard and Flask to the webhook; the services under both use neither."""
    assert _offenders(("services",), ("streamlit", "flask"), allowed=("services.webhook",)) == []


def test_the_composition_root_does_not_reach_up_into_the_webhook():
    """bootstrap builds what the webhook uses; it never imports the webhook (which imports bootstrap)."""
    assert _offenders(("services.bootstrap",), ("services.webhook",)) == []


def test_there_are_no_import_cycles():
    """Following imports from any module never leads back to it."""
    cycles, state = [], {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(t for t in GRAPH.get(name, ()) if t in GRAPH):
            if state.get(target) == "open":
                cycles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize("module", ["services.store.base", "services.webhook.app", "ui.runtime"])
def test_the_graph_sees_real_imports(module):
    """The checks above read real edges (a broken parser would make them pass vacuously)."""
    assert GRAPH[module], f"{module} imports nothing?"
    assert any(t.startswith(("services", "sqlalchemy", "flask", "streamlit")) for t in GRAPH[module])
