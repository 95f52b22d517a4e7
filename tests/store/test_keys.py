"""The outside key: a database opens only with the key it was created with; a missing or wrong key fails closed."""

import os
import stat

import pytest
from sqlalchemy import text

from matcher import keys
from matcher.store.db import connect, data_dir, upgrade
from matcher.store.service import CaseStore
from tests.conftest import FAST, KEY

ADVICE = ("Restore the key this database was created with (docs/security.md, 'Keys'); a new key cannot read existing "
          "data")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def url(engine) -> str:
    upgrade(engine)
    return engine.url.render_as_string(hide_password=True)


def test_a_new_database_creates_the_key_owner_only_and_later_never_a_new_one(engine, url, rules, outside_files,
                                                                             monkeypatch) -> None:
    monkeypatch.delenv("INSATSMATCH_HMAC_KEY", raising=False)
    key_file = outside_files / "hmac.key"
    store = CaseStore(engine, rules, passwords=FAST)
    assert (key_file.exists(), _mode(key_file)) == (True, 0o600)
    store.add_user(None, "admin", "admin-password", "admin")
    check = keys.check_value(keys.load())
    key_file.unlink()
    with pytest.raises(keys.OutsideKeyError) as caught:
        CaseStore(engine, rules, passwords=FAST)
    assert str(caught.value) == (
        f"{url} was opened with an outside key before (check value {check}), so no new key is made: the outside key "
        f"is missing: INSATSMATCH_HMAC_KEY is not set and the key file {key_file} (INSATSMATCH_KEY_FILE) does not "
        f"exist. {ADVICE}")
    assert not key_file.exists()


def test_keyed_data_from_before_the_check_value_needs_its_key(engine, url, rules, outside_files, monkeypatch) -> None:
    CaseStore(engine, rules, key=KEY, passwords=FAST).add_user(None, "admin", "admin-password", "admin")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM store_identity"))  # as a database migrated from revision 0003
    monkeypatch.delenv("INSATSMATCH_HMAC_KEY", raising=False)
    monkeypatch.setenv("INSATSMATCH_DATA", str(outside_files))
    (outside_files / "personnummer-hmac.key").write_text(KEY.hex())
    with pytest.raises(keys.OutsideKeyError) as caught:
        CaseStore(engine, rules, passwords=FAST)
    assert str(caught.value) == (
        f"{url} holds keyed data (audit entries: 1), so no new key is made: the outside key is missing: "
        f"INSATSMATCH_HMAC_KEY is not set and the key file {outside_files / 'hmac.key'} (INSATSMATCH_KEY_FILE) does "
        f"not exist. {ADVICE}. Earlier versions kept the key in {outside_files / 'personnummer-hmac.key'}: move that "
        f"file to {outside_files / 'hmac.key'} (or set INSATSMATCH_KEY_FILE to it)")
    with pytest.raises(keys.OutsideKeyError) as caught:
        CaseStore(engine, rules, key=b"x" * 32, passwords=FAST)
    assert str(caught.value) == (f"{url}: this key does not match this database: the first audit entry was not "
                                 f"written with the key given to the store. Use the key the database was created "
                                 f"with (docs/security.md, 'Keys')")
    assert CaseStore(engine, rules, key=KEY, passwords=FAST).login("admin", "admin-password").username == "admin"


def test_a_key_that_does_not_match_is_named_as_the_wrong_key(engine, url, rules, monkeypatch) -> None:
    CaseStore(engine, rules, key=KEY, passwords=FAST)
    other = b"another-key-of-32-bytes-length!!"
    with pytest.raises(keys.OutsideKeyError) as caught:
        CaseStore(engine, rules, key=other, passwords=FAST)
    assert str(caught.value) == (
        f"{url}: this key does not match this database: the key given to the store has the check value "
        f"{keys.check_value(other)}, the database {keys.check_value(KEY)}. Use the key the database was created with "
        f"(docs/security.md, 'Keys')")
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", other.hex())
    with pytest.raises(keys.OutsideKeyError, match=r": INSATSMATCH_HMAC_KEY has the check value "):
        CaseStore(engine, rules, passwords=FAST)


def test_a_short_key_is_refused(engine, url, rules, monkeypatch) -> None:
    with pytest.raises(keys.OutsideKeyError, match=r"^the key given to the store has 16 bytes; at least 32 are "
                                                   r"required$"):
        CaseStore(engine, rules, key=b"k" * 16, passwords=FAST)
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "ab" * 16)
    with pytest.raises(keys.OutsideKeyError, match=r"^INSATSMATCH_HMAC_KEY: the key has 16 bytes; at least 32 are "
                                                   r"required\. Generate one with "):
        CaseStore(engine, rules, passwords=FAST)


def test_the_data_folder_and_the_sqlite_file_are_owner_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INSATSMATCH_DATA", str(tmp_path / "new" / "data"))
    old = os.umask(0o022)
    try:
        folder = data_dir()
        connect(f"sqlite:///{folder / 'insatsmatch.db'}").dispose()
    finally:
        os.umask(old)
    assert (_mode(folder), _mode(folder / "insatsmatch.db")) == (0o700, 0o600)
