"""The app keeps serving the last good rule base when the files on disk break, even after a restart."""

import os
import shutil
from pathlib import Path

import pytest
import streamlit as st

from matcher.auth import Role
from tests.conftest import RULES
from ui.shared import loading

CYCLIC = "top_k: &loop [*loop]\n"


@pytest.fixture
def rules_on_disk(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    os.utime(root / "policy.yaml", (1_767_225_600, 1_767_225_600))  # 2026-01-01 00:00 UTC: the newest file
    for path in root.rglob("*.yaml"):
        if path.name != "policy.yaml":
            os.utime(path, (1_700_000_000, 1_700_000_000))
    monkeypatch.setenv("INSATSMATCH_RULES", str(root))
    monkeypatch.setenv("INSATSMATCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setattr(loading, "_last_good", {})
    st.cache_resource.clear()
    return root


def _break(root: Path, text: str) -> None:
    policy = root / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("top_k: 5\n", text), encoding="utf-8")


@pytest.mark.parametrize("broken", [CYCLIC, "latin-1"])
def test_a_rule_base_broken_on_disk_is_reported_and_the_last_good_one_serves(rules_on_disk, broken) -> None:
    good, _, problem = loading.served()
    assert problem is None
    policy = rules_on_disk / "policy.yaml"
    if broken == CYCLIC:
        _break(rules_on_disk, CYCLIC)
    else:
        policy.write_bytes(policy.read_bytes().replace(b"top_k: 5\n", b"top_k: 5 # \xe5\n"))
    rules, _, problem = loading.served()
    assert rules is good
    assert problem is not None
    assert str(problem) == (
        "1 problem in the rule base:\nrules/policy.yaml:7: top_k[0]: an alias (*name) refers to the value it is part "
        "of, so the value would contain itself without end" if broken == CYCLIC else
        "1 problem in the rule base:\nrules/policy.yaml:7: not UTF-8 text (byte 0xe5 at offset 404); save the file as "
        "UTF-8")  # as the command line prints it
    assert loading.notice("en", Role.METHODOLOGIST, rules, problem) == (
        "A change to the rule base could not be read; the last working rule base is still in use:\n\n"
        + str(problem).split("\n", 1)[1])
    assert loading.notice("sv", Role.METHODOLOGIST, rules, problem).endswith(
        "rules/policy.yaml:7: top_k[0]: ett alias (*namn) hänvisar till värdet det självt ingår i, så värdet skulle "
        "innehålla sig självt utan slut" if broken == CYCLIC else
        "rules/policy.yaml:7: inte UTF-8-text (byte 0xe5 vid position 404); spara filen som UTF-8")
    assert loading.notice("sv", Role.SOCIAL_WORKER, rules, problem) == (
        "Reglerna som gäller är versionen från 2026-01-01 00:00: en senare ändring i regelfilerna kunde inte läsas; "
        "metodstödet ser vad som är fel.")


def test_after_a_restart_the_kept_copy_serves(rules_on_disk, monkeypatch) -> None:
    good, _, _ = loading.served()
    _break(rules_on_disk, CYCLIC)
    monkeypatch.setattr(loading, "_last_good", {})  # a new server process
    monkeypatch.setattr(loading, "_changed", {})
    st.cache_resource.clear()
    rules, _, problem = loading.served()
    assert rules.content_hash == good.content_hash and problem is not None
    assert loading.notice("en", Role.SOCIAL_WORKER, rules, problem) == (
        "The rules in force are the version of 2026-01-01 00:00: a newer change to the rule files could not be read; "
        "the methodologists see what is wrong.")
