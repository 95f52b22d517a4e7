"""Every file of the hostile corpus (tests/data/hostile/) gets exactly its located message and exit code 2."""

import json
import shutil
from pathlib import Path

import pytest

from matcher.cli import main
from tests.conftest import EXAMPLES, ROOT, RULES

HOSTILE = ROOT / "tests" / "data" / "hostile"
MESSAGES: dict[str, str] = json.loads((HOSTILE / "messages.json").read_text(encoding="utf-8"))
CASE = EXAMPLES / "01-low-risk-13.json"


def _command(name: str, tmp_path: Path) -> list[str]:
    kind = name.split("/")[0]
    if kind == "rules":  # the variant's files over a copy of the shipped rule base
        root = tmp_path / "rules"
        shutil.copytree(RULES, root)
        for path in (HOSTILE / name).rglob("*"):
            if path.is_file():
                shutil.copy(path, root / path.relative_to(HOSTILE / name))
        return ["recommend", str(CASE), "--rules", str(root)]
    path = str(HOSTILE / name)
    return {"cases": ["recommend", path], "catalogues": ["catalogue", "check", path],
            "training": ["train", path, "--target", "y", "--out", str(tmp_path / "models")]}[kind]


def test_the_corpus_and_its_messages_match() -> None:
    files = {f"{p.parent.name}/{p.name}" for kind in ("cases", "catalogues", "training")
             for p in (HOSTILE / kind).iterdir()} | {f"rules/{p.name}" for p in (HOSTILE / "rules").iterdir()}
    assert files == set(MESSAGES)
    assert len(files) == 60


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_hostile_file_gets_its_message(name: str, tmp_path: Path, capsys) -> None:
    assert main(_command(name, tmp_path)) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", MESSAGES[name].format(dir=HOSTILE))


GENERATED = [
    ("value-10mb.json", lambda: b'{"context": {"age": 15, "placement": "' + b"x" * 10_000_000 + b'", "caregiver": '
                                b'"takes_part"}}',
     "matcher: {path}:1: context.placement: Input should be 'home', 'family_home', 'hvb', 'sis_youth_home', "
     "'sluten_ungdomsvard' or 'independent'; found '" + "x" * 80 + "' ... (10,000,000 characters)\n"),
    ("cell-200kb.csv", lambda: b'case_id,age,placement,caregiver\nA-1,15,"' + b"x" * 200_000 + b'",takes_part\n',
     "matcher: {path}:2: a cell is longer than 131,072 characters (the limit)\n"),
    ("file-60mb.jsonl", lambda: b"\n" * (60 * 2**20),
     "matcher: {path}: 62,914,560 bytes; the limit is 52,428,800 bytes (50 MiB). Split the file\n"),
]


@pytest.mark.parametrize(("name", "content", "message"), GENERATED, ids=[g[0] for g in GENERATED])
def test_a_large_hostile_file_is_refused_and_its_value_cut(name, content, message, tmp_path: Path, capsys) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    assert main(["recommend", str(path)]) == 2
    assert capsys.readouterr() == ("", message.format(path=path))
