import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import io
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text

from matcher import RuleBase, Scorecard, load_rule_base, load_scorecard
from matcher.auth import Passwords
from matcher.cli import main
from matcher.store.db import connect, upgrade
from matcher.store.service import CaseStore

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"
PG = os.environ.get("TEST_DATABASE_URL")
FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
KEY = b"test-only-key-0123456789abcdef01"


@pytest.fixture(autouse=True)
def outside_files(tmp_path_factory, monkeypatch) -> Path:
    """The key file and the audit checkpoint file of every test in a folder of its own, never the real
    ~/.config/insatsmatch."""
    folder = tmp_path_factory.mktemp("outside")
    monkeypatch.setenv("INSATSMATCH_KEY_FILE", str(folder / "hmac.key"))
    monkeypatch.setenv("INSATSMATCH_CHECKPOINTS", str(folder / "audit-checkpoints.jsonl"))
    monkeypatch.delenv("INSATSMATCH_CHECKPOINT_EVERY", raising=False)
    return folder


@pytest.fixture(scope="session", autouse=True)
def committed_models(tmp_path_factory) -> Iterator[Path]:
    """The model registry as committed (``git archive HEAD models``), never the working tree's models/: an
    evaluator who trains or promotes there (README) changes no test. Every test's default models folder
    (INSATSMATCH_MODELS) is this copy; a test that changes models copies it first (``models_copy``)."""
    git = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD", "models"], capture_output=True)
    assert git.returncode == 0, f"the tests read the committed models through git: {git.stderr.decode()}"
    folder = tmp_path_factory.mktemp("committed")
    with tarfile.open(fileobj=io.BytesIO(git.stdout)) as archive:
        archive.extractall(folder, filter="data")
    before = os.environ.get("INSATSMATCH_MODELS")
    os.environ["INSATSMATCH_MODELS"] = str(folder / "models")
    yield folder / "models"
    if before is None:
        os.environ.pop("INSATSMATCH_MODELS", None)
    else:
        os.environ["INSATSMATCH_MODELS"] = before


@pytest.fixture
def models_copy(committed_models, tmp_path, monkeypatch) -> Path:
    """A private, writable copy of the committed models, as the default models folder of one test."""
    shutil.copytree(committed_models, tmp_path / "models")
    monkeypatch.setenv("INSATSMATCH_MODELS", str(tmp_path / "models"))
    return tmp_path / "models"


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


# ------------------------------------------------------------------ the case store, on SQLite and PostgreSQL


@contextmanager
def postgres_schema(options: str = "") -> Iterator[Engine]:
    """An engine on a schema of its own in the PostgreSQL of TEST_DATABASE_URL, dropped afterwards; ``options``
    are more server settings, URL-encoded (e.g. "%20-ctimezone%3DEurope/Stockholm")."""
    assert PG is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = connect(f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}{options}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG, reason="TEST_DATABASE_URL is not set (make test sets it when PostgreSQL answers on 127.0.0.1:5432)"))])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield connect(f"sqlite:///{tmp_path / 'store.db'}")
        return
    with postgres_schema() as engine:
        yield engine


@pytest.fixture
def store(engine, rules) -> CaseStore:
    upgrade(engine)
    return CaseStore(engine, rules, key=KEY, passwords=FAST)


# ------------------------------------------------------------------ the command line


@pytest.fixture
def cli_data(tmp_path, monkeypatch) -> Path:
    """The command line's data folder (its SQLite database) in a fresh temporary folder."""
    monkeypatch.setenv("INSATSMATCH_DATA", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INSATSMATCH_USER", raising=False)
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "ab" * 32)
    return tmp_path


def run_cli(monkeypatch, capsys, *args: str, password: str | None = None, stdin: str = "") -> tuple[int, str, str]:
    """`matcher ARGS` in this process: (exit code, standard output, standard error)."""
    if password:
        monkeypatch.setenv("INSATSMATCH_PASSWORD", password)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
