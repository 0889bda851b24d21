"""What keeps one Check from another: fresh exercise modules and pristine shared data.

A code cell on the page, or an earlier answer, runs in the same Python as the
grader and could replace a check or a reference in the live modules, or change
data the checks read (`saferlhub.maze.ENCODING_SPEC`, which the exercises tell
the reader to import) in place. So each Check:

- imports `saferlhub.exercises` and its modules afresh from their source
  (`fresh_package`), compiled once per session and kept here (this module is the
  one not re-imported);
- puts the shared data back as the defining module's source makes it
  (`shared`: copies made by running that source afresh, not from the live
  objects, which may already have been changed), before and after the reader's
  code runs (`grading.restore_in_place`).

Readers can always cheat in their own browser; the point is that an honest
mistake is never hidden, misnamed or carried into the next Check.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from types import CodeType, ModuleType
from typing import Any

# (module, attribute): mutable data the checks or the references read.
SHARED = (
    ("saferlhub.maze.encoding", "ENCODING_SPEC"),
    ("saferlhub.maze.generators", "FAILURE_MAZES"),
)

_pristine: dict[tuple[str, str], Any] = {}
_compiled: dict[str, CodeType] = {}


def from_source(module_name: str, attribute: str) -> Any:
    """`attribute` as a fresh run of the module's source defines it (not registered in
    sys.modules; its own imports are the usual modules)."""
    spec = importlib.util.find_spec(module_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def shared(kind) -> list:
    """One `kind(name, live, pristine)` (grading.SharedData) per entry of SHARED; the
    pristine copies are made once per session, from the source."""
    items = []
    for module_name, attribute in SHARED:
        key = (module_name, attribute)
        if key not in _pristine:
            _pristine[key] = from_source(module_name, attribute)
        live = getattr(importlib.import_module(module_name), attribute)
        items.append(kind(f"{module_name.rsplit('.', 1)[0]}.{attribute}", live, _pristine[key]))
    return items


class _CompiledOnce(importlib.machinery.SourceFileLoader):
    """The usual source loader, with each module's code compiled once per session (the
    site's Python writes no .pyc files, and compiling is most of an import's time)."""

    def get_code(self, fullname: str) -> CodeType:
        if fullname not in _compiled:
            _compiled[fullname] = super().get_code(fullname)
        return _compiled[fullname]


class _FreshFinder:
    """Finds `package`'s modules on the usual path, loading them with _CompiledOnce."""

    def __init__(self, package: str):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.package and not fullname.startswith(self.package + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        return importlib.util.spec_from_file_location(
            fullname,
            spec.origin,
            loader=_CompiledOnce(fullname, spec.origin),
            submodule_search_locations=spec.submodule_search_locations,
        )


def fresh_package(package: str) -> ModuleType:
    """`package` and its modules imported again from their source (this module kept);
    later imports of them get the new modules."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        if name != __name__:
            del sys.modules[name]
    finder = _FreshFinder(package)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(package)
    finally:
        sys.meta_path.remove(finder)
