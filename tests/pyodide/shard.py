"""A pytest plugin that keeps one shard of the collected tests (tests/pyodide/run_pytest.mjs).

Pyodide runs on one core, so the runner starts one Node.js process per core, each
with `Shard(k, n)`: every process collects all tests and keeps its share. Shares are
balanced by test count; a module whose tests share a module- or class-scoped fixture
stays whole in one shard, so that fixture is still computed once.
"""

from __future__ import annotations

import itertools


class Shard:
    def __init__(self, index: int, count: int):
        if not 0 <= index < count:
            raise ValueError(f"shard {index} of {count} does not exist")
        self.index, self.count = index, count

    @staticmethod
    def _shares_a_fixture(items) -> bool:
        for item in items:
            info = getattr(item, "_fixtureinfo", None)
            for defs in info.name2fixturedefs.values() if info else ():
                if any(d.scope in ("module", "class") for d in defs):
                    return True
        return False

    def pytest_collection_modifyitems(self, config, items):
        load = [0] * self.count
        keep, drop = [], []

        def place(group):
            target = load.index(min(load))
            load[target] += len(group)
            (keep if target == self.index else drop).extend(group)

        for _, group in itertools.groupby(items, key=lambda item: item.nodeid.split("::")[0]):
            group = list(group)
            if self._shares_a_fixture(group):
                place(group)
            else:
                for item in group:
                    place([item])
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep
