import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher import RuleBase, Scorecard, load_rule_base, load_scorecard

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def rules() -> RuleBase:
    return load_rule_base(RULES)


@pytest.fixture(scope="session")
def model(rules: RuleBase) -> Scorecard:
    return load_scorecard(rules.catalogue)


@pytest.fixture
def edited_rules(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """A copy of the shipped rule base with one text replaced in one file."""

    def edit(relative: str, old: str, new: str) -> Path:
        root = tmp_path / "rules"
        if not root.exists():
            shutil.copytree(RULES, root)
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return edit
