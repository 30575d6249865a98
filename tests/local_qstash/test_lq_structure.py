"""The package's shape: no import cycles between its modules, and no test helpers inside it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "local_qstash"


def _imports() -> dict[str, set[str]]:
    """Module name -> local_qstash modules it imports (anywhere in the file, deferred imports too)."""
    names = {path.stem for path in PACKAGE.glob("*.py")}
    graph = {}
    for path in PACKAGE.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("local_qstash.")}
            elif isinstance(node, ast.ImportFrom) and node.module == "local_qstash":
                found |= {a.name for a in node.names if a.name in names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("local_qstash."):
                found.add(node.module.split(".")[1])
        graph[path.stem] = found
    return graph


def test_no_module_imports_itself_back():
    """Following imports from any module never leads back to it."""
    graph = _imports()
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            assert name != start, f"import cycle through local_qstash.{start}"
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, ()))


def test_test_helpers_live_outside_the_package():
    """Receivers and clocks for tests and the bench are in tests/ and bench/, not in the server."""
    assert not (PACKAGE / "testing.py").exists()
    assert not (PACKAGE / "fast_receiver.py").exists()
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.split(".")[0] in ("tests", "bench")], path.name
