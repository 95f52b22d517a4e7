"""The folders of ``matcher/`` depend on each other in one direction only (docs/architecture.md).

Read from the source with ``ast``: every ``import`` and ``from ... import`` of a ``matcher`` module, at any
depth of the file (imports inside functions count too). A new edge fails here until it is added below, with
a reason in docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SHARED = {"auth", "errors", "i18n", "keys", "textfiles"}  # reached by every part
ALLOWED: dict[str, set[str]] = {
    "auth": set(),
    "errors": {"i18n"},  # an error carries its message for the reader's language
    "i18n": set(),
    "keys": set(),
    "textfiles": {"errors"},
    "rulebase": {"errors", "i18n"},
    "engine": {"rulebase"} | SHARED,
    "authoring": {"engine", "rulebase"} | SHARED,
    "modelling": {"engine", "rulebase"} | SHARED,
    "local": {"engine", "rulebase"} | SHARED,
    "store": {"authoring", "modelling", "local", "engine", "rulebase"} | SHARED,
    "documents": {"store", "local", "engine", "rulebase"} | SHARED,
    "cli": {"documents", "store", "authoring", "modelling", "local", "engine", "rulebase"} | SHARED,
    "__init__": {"engine", "rulebase", "errors"},  # the public API
}
LIMIT_LINES = 400
LIMIT_FUNCTION = 60
LONG_ON_PURPOSE = {("matcher/engine/kernel.py", "_match"),  # the compiled kernel
                   ("matcher/store/migrations/versions/0001_initial_case_store.py", "upgrade")}  # a table


def _part(path: Path) -> str:
    return path.relative_to(ROOT / "matcher").with_suffix("").parts[0]


def _imported(path: Path) -> set[str]:
    """The top-level parts of ``matcher`` (or ``ui``, ``app``) that one file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "matcher":
                names = [f"matcher.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            head, _, rest = name.partition(".")
            if head == "matcher" and rest:
                found.add(rest.split(".")[0])
            elif head in ("ui", "app"):
                found.add(head)
    return found


def test_every_part_of_matcher_imports_only_what_it_may() -> None:
    wrong = []
    for path in sorted((ROOT / "matcher").rglob("*.py")):
        part = _part(path)
        assert part in ALLOWED, f"{path}: new part '{part}' of matcher/: add it to ALLOWED and docs/architecture.md"
        for dep in sorted(_imported(path) - ALLOWED[part] - {part}):
            wrong.append(f"{path.relative_to(ROOT)} ({part}) imports {dep}")
    assert wrong == []


def test_nothing_imports_the_command_line_or_the_app() -> None:
    for path in sorted([*(ROOT / "ui").rglob("*.py"), ROOT / "app.py"]):
        assert "cli" not in _imported(path), f"{path.relative_to(ROOT)} imports the command line"
    for path in sorted((ROOT / "matcher").rglob("*.py")):
        assert not _imported(path) & {"ui", "app"}, f"{path.relative_to(ROOT)} imports the app"


def test_the_tree_stays_readable() -> None:
    """At most 8 modules at the top of matcher/; no Python file in matcher/ or ui/ over 400 lines."""
    assert len(list((ROOT / "matcher").glob("*.py"))) <= 8
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in sorted([*(ROOT / "matcher").rglob("*.py"),
                                                                *(ROOT / "ui").rglob("*.py")])
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT_LINES]
    assert long == []


def test_long_functions_are_tables_or_kernels_and_say_so() -> None:
    long = {}
    for path in sorted([*(ROOT / "matcher").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), ROOT / "app.py"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > LIMIT_FUNCTION:
                long[(path.relative_to(ROOT).as_posix(), node.name)] = ast.get_docstring(node)
    assert set(long) == LONG_ON_PURPOSE
    assert all(long.values()), "a long function says in its docstring why it is long"


def test_no_pages_folder_beside_the_app() -> None:
    """Streamlit would serve a folder named pages/ next to app.py without the login gate."""
    assert not (ROOT / "pages").exists()
