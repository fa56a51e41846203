"""One direction of dependency: common ← text ← ingest ← index ← answer ← workshop ← web/app ← eval.
Only an entry point (a ``__main__`` module or block) may reach up."""

import ast

from conftest import ROOT

LAYERS = {"common": 0, "text": 1, "ingest": 2, "index": 3, "answer": 4, "workshop": 5, "web": 6, "app": 6, "eval": 7}


def _imports(tree: ast.Module):
    # An entry point's own block may reach up.
    tree.body = [n for n in tree.body if not (isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]


def test_imports_only_reach_down():
    wrong = []
    for package, rank in LAYERS.items():
        files = [ROOT / "app.py"] if package == "app" else (ROOT / package).rglob("*.py")
        for path in files:
            if path.name == "__main__.py":
                continue
            for target in _imports(ast.parse(path.read_text(encoding="utf-8"))):
                if LAYERS.get(target, -1) > rank:
                    wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not wrong, wrong
