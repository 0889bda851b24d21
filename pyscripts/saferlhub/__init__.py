"""SafeRLHub's in-browser Python package.

Environments, learners, exact solvers and the code-cell runtime of the site.
It imports only the Python standard library, so the same code runs in Pyodide
(in the reader's browser) and in CPython (tests, `export/`).
"""

__version__ = "0.1.0"
