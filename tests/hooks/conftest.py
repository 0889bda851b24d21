"""Make the MkDocs hooks importable as the `hooks` package-less modules they are."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "hooks"))
