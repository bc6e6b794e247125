"""Dependencies point one way: http/ and realtime/ -> actions/ -> store/ -> db/ (docs/development.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "chatserver"

# Which packages a layer must not import from.
FORBIDDEN = {
    "store": {"actions", "http", "realtime", "services", "app"},
    "schemas": {"actions", "http", "realtime", "store", "db"},
    "actions": {"http", "realtime", "app"},
    "http": {"store", "db"},
    "realtime": {"store", "db", "http"},
    "broker": {"actions", "http", "realtime", "store"},
    "presence": {"actions", "http", "realtime", "store"},
    "ratelimit": {"actions", "http", "realtime", "store"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_each_layer_imports_only_the_layers_below_it():
    broken = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for line, module in _imports(path):
                parts = module.split(".")
                if parts[0] == "chatserver" and len(parts) > 1 and parts[1] in forbidden:
                    broken.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not broken, "imports against the layering:\n  " + "\n  ".join(broken)
