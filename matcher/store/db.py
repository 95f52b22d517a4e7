"""Connecting to the case store: ``DATABASE_URL``, or a SQLite file in the data folder by default.

The data folder is created owner-only (0700) and a new SQLite file owner-only (0600; SQLite gives its WAL and
shared-memory files the same permissions). The outside key is not kept here (``matcher.keys``).

SQLite runs in WAL mode and every transaction starts with BEGIN IMMEDIATE, so concurrent writers
wait their turn (up to the busy timeout) instead of failing half-way. The schema is managed by
Alembic (``migrations/``); ``upgrade`` brings any database to the newest version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MIGRATIONS = Path(__file__).with_name("migrations")


def data_path() -> Path:
    """The data folder (``INSATSMATCH_DATA``), without creating it."""
    return Path(os.environ.get("INSATSMATCH_DATA", DATA_DIR))


def data_dir() -> Path:
    """The folder for the default database; created owner-only on first use."""
    folder = data_path()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'insatsmatch.db'}"


def connect(url: str | None = None) -> Engine:
    url = url or database_url()
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    _create_owner_only(url)
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_setup(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun explicitly below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_owner_only(url: str) -> None:
    """Create a new SQLite database file readable by its owner only, before SQLite creates it with the umask's."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
