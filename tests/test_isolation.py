"""Tests never read the evaluator's working state: the models folder they see is the committed one."""

import re
import subprocess

from matcher.modelling.registry import default_models_dir
from tests.conftest import ROOT

WORKING_MODELS = re.compile(r"""ROOT\s*/\s*["']models|DEFAULT_MODELS|["']models/""")


def test_the_default_models_folder_in_tests_is_the_committed_one() -> None:
    folder = default_models_dir()
    assert folder.resolve() != (ROOT / "models").resolve()
    committed = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:models/registry.json"], capture_output=True,
                               text=True, check=True).stdout
    assert (folder / "registry.json").read_text(encoding="utf-8") == committed


def test_no_test_names_the_working_trees_models_folder() -> None:
    """A test that reads ROOT / "models" would fail after `matcher train ... --out models/` (README)."""
    named = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "tests").rglob("*.py"))
             if path.name not in ("conftest.py", "test_isolation.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if WORKING_MODELS.search(line)]
    assert named == []
