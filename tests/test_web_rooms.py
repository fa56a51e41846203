"""The web layer stays in rooms: no function in web/ longer than a screenful or two."""

import ast

from conftest import ROOT

MAX_LINES = 120


def test_no_function_in_web_is_longer_than_120_lines():
    long = []
    for path in sorted((ROOT / "web").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.name}:{node.lineno} {node.name} has {lines} lines")
    assert not long, long
