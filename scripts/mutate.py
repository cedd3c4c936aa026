"""``make mutate``: mutmut over the rule modules, decorated engine functions included.

mutmut 3 leaves every decorated function alone (it cannot know what a decorator does when the
function is copied for its trampoline), but most of the economics engine is decorated with
``@_exact`` (a local decimal context). ``_exact`` is a plain wrapper that calls the function once,
and mutmut keeps a function's decorators on its trampoline, its original and every mutant, so
under ``_exact`` they all behave like the function: this script lets mutmut mutate functions whose
only decorators are in ``SAFE_DECORATORS`` and then runs mutmut's own command line
(``python scripts/mutate.py run``, ``... results``, ``... show NAME``).

Not mutated still: ``@property`` and ``@classmethod`` stacked on ``_exact`` (the copies mutmut
makes would be property / bound-method objects its trampoline cannot call).

The check relies on mutmut's visitor (``MutationVisitor._skip_node_and_children``), which is why
mutmut is pinned in pyproject.toml; ``make mutate`` lists the engine's mutants before running them
so that a mutmut upgrade that stops mutating them shows at once.
"""

from __future__ import annotations

import sys

import libcst as cst
from mutmut.mutation import file_mutation
from mutmut.mutation.file_mutation import MutationVisitor

SAFE_DECORATORS = frozenset({"_exact"})

_skip_node_and_children = MutationVisitor._skip_node_and_children


def _decorator_name(decorator: cst.Decorator) -> str | None:
    return decorator.decorator.value if isinstance(decorator.decorator, cst.Name) else None


def _skip_unless_safely_decorated(self, node: cst.CSTNode) -> bool:
    skip = _skip_node_and_children(self, node)
    if not (skip and isinstance(node, cst.FunctionDef) and node.decorators):
        return skip
    if not all(_decorator_name(d) in SAFE_DECORATORS for d in node.decorators):
        return True
    # The other reasons mutmut has to skip a function still hold.
    position = self.get_metadata(file_mutation.PositionProvider, node, None)
    if position and position.start.line in self._ignored_node_lines:
        return True
    if node.name.value in file_mutation.NEVER_MUTATE_FUNCTION_NAMES:
        return True
    return node in self._enum_creation_hooks


MutationVisitor._skip_node_and_children = _skip_unless_safely_decorated


def make_test_db_template() -> None:
    """The migrated SQLite database every mutant's tests start from (a copy each, see
    ``TEST_DB_TEMPLATE`` in tests/conftest.py): made here once, from the code being mutated
    (migrations are not among the mutated modules)."""
    import os
    import subprocess

    template = os.environ.get("VALUEGATE_TEST_DB_TEMPLATE")
    if not template:
        return
    if os.path.exists(template):
        os.unlink(template)
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=environment,
        check=True,
    )


#: A function of the engine decorated with ``@_exact``: ``score`` fails if it has no mutant.
ENGINE_DECORATED = "usecases.economics.x_period_figures"


def score(minimum: float) -> int:
    """Per module and in all: killed (a test failed or timed out) / checked; exit 1 below
    ``minimum`` percent or when the engine's decorated functions were not mutated. Lists the
    survivors ("no tests" and "suspicious" count as survivors), then the timeouts apart: they
    count as killed (a mutant that loops forever is caught), but a loaded machine also makes
    them, so each one is named with the command that checks it again.
    Mutants not checked (``make mutate MUTANTS=...`` runs a subset) are left out."""
    import json
    from pathlib import Path

    from mutmut.stats import status_by_exit_code

    total = detected = 0
    survivors, timeouts, unchecked, names = [], [], [], set()
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = {name: status_by_exit_code[code] for name, code in results.items()}
        names |= {name.rsplit("__mutmut_", 1)[0] for name in results}
        killed = sum(s in ("killed", "timeout", "segfault") for s in statuses.values())
        survivors += [n for n, s in statuses.items() if s in ("survived", "no tests", "suspicious")]
        timeouts += [n for n, s in statuses.items() if s == "timeout"]
        unchecked += [n for n, s in statuses.items() if s == "not checked"]
        checked = sum(s != "not checked" for s in statuses.values())
        timed_out = sum(s == "timeout" for s in statuses.values())
        total, detected = total + checked, detected + killed
        print(
            f"{meta.with_suffix('').relative_to('mutants')}: {killed}/{checked} killed"
            f" ({timed_out} of them by timeout)"
        )
    percent = 100 * detected / total if total else 0
    print(f"all: {detected}/{total} killed = {percent:.1f} % (minimum {minimum:g} %)")
    print(f"timeouts: {len(timeouts)}, counted as killed")
    for name in survivors:
        print("  survived:", name)
    for name in timeouts:
        print("  timeout:", name)
    if timeouts:
        print("check the timeouts again (on a quiet machine): python scripts/mutate.py run NAME...")
    ok = total and percent >= minimum
    if ENGINE_DECORATED not in names:
        print(f"{ENGINE_DECORATED} has no mutant: the decorated engine functions were skipped")
        ok = False
    if unchecked:
        print(f"{len(unchecked)} mutants not checked (a subset was run, or it was interrupted)")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["score"]:
        sys.exit(score(float(sys.argv[2]) if len(sys.argv) > 2 else 95))
    if sys.argv[1:2] == ["run"]:
        make_test_db_template()
    from mutmut.__main__ import cli

    sys.argv[0] = "mutmut"
    cli()
