"""pyscripts/ must import only the standard library, so it runs unchanged in Pyodide."""

import ast
import sys
from pathlib import Path

PYSCRIPTS = Path(__file__).resolve().parents[2] / "pyscripts"


def imported_roots(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_pyscripts_imports_only_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"saferlhub", "__future__"}
    offenders = {
        f"{path.relative_to(PYSCRIPTS)} imports {name}"
        for path in PYSCRIPTS.rglob("*.py")
        for name in imported_roots(path)
        if name not in allowed
    }
    assert not offenders, sorted(offenders)


def test_the_check_itself_catches_a_third_party_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("import numpy as np\nfrom torch import nn\nimport json\n")
    assert set(imported_roots(sample)) == {"numpy", "torch", "json"}
