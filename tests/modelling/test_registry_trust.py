"""A file in the models folder never runs: no pickle is loaded, an entry must be signed (or shipped and pinned),
and the bytes that are checked are the bytes that are parsed."""

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import sklearn

from matcher import InputError, encode_cases
from matcher.cli import main
from matcher.modelling import signing
from matcher.modelling.registry import active_model, load_model, promote, read_registry, register, retire
from matcher.modelling.synth import TARGET, synthetic_training
from matcher.modelling.train import train
from matcher.modelling.training_data import frame_sha256, training_data
from matcher.rulebase.policy_schema import ModelGates
from tests.conftest import EXAMPLES

LENIENT = ModelGates(min_auc=0.5, max_calibration_error=1, max_fpr_ratio=10, max_fnr_ratio=10, min_group_size=1,
                     levels={"moderate": 0.3, "high": 0.5}, folds=5, repeats=1)
EXAMPLE = EXAMPLES / "02-high-risk-15-engaged-family.json"


class _Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture(scope="module")
def trained(rules, tmp_path_factory):
    source = tmp_path_factory.mktemp("trusted")
    frame = synthetic_training(rules, 1500, seed=8).assign(synthetic=False)  # stands in for outcome data: a
    # synthetic model is never promoted, and these tests promote
    data = training_data(frame, rules, TARGET, source="s.csv", sha256=frame_sha256(frame), groups=["sex"])
    model_id, _ = train(data, rules, "logistic", source, trained_by="tester")
    register(source, model_id, "tester")
    return source, model_id


@pytest.fixture
def models(trained, tmp_path, monkeypatch):
    shutil.copytree(trained[0], tmp_path / "models")
    monkeypatch.setenv("INSATSMATCH_MODELS", str(tmp_path / "models"))
    return tmp_path / "models"


def _rewrite(models: Path, change) -> None:
    registry = read_registry(models)
    registry["models"][0] = change(registry["models"][0])
    (models / "registry.json").write_text(json.dumps(registry))


def test_the_payload_runs_when_unpickled(tmp_path) -> None:
    """The hostile file of the next test is real: unpickled, it writes its marker."""
    pickle.loads(pickle.dumps(_Payload(tmp_path / "marker")))
    assert (tmp_path / "marker").read_text() == "ran"


PICKLE = "was saved as a pickle, which could run code when loaded; pickles are never loaded"


@pytest.mark.parametrize(("name", "sign", "expected"), [
    ("model.joblib", False, PICKLE),  # the registry edited by hand, as before issue 14
    ("model.joblib", True, PICKLE),  # even an entry signed with the outside key
    ("model.json", False, "the entry has no signature"),
    ("model.json", True, "model.json: not UTF-8 text"),  # a pickle under the artefact's name is never unpickled
])
def test_a_malicious_pickle_with_its_sha_in_the_registry_never_runs(models, trained, tmp_path, capsys, name, sign,
                                                                    expected) -> None:
    model_id, marker = trained[1], tmp_path / "marker"
    hostile = pickle.dumps(_Payload(marker))
    (models / model_id / name).write_bytes(hostile)

    def change(item):
        item = {**item, "status": "active", "file": f"{model_id}/{name}", "sha256": hashlib.sha256(hostile).hexdigest(),
                "scikit_learn": sklearn.__version__}  # as entries were written before issue 14
        return signing.signed(item) if sign else signing.unsigned(item)

    _rewrite(models, change)
    assert main(["recommend", str(EXAMPLE)]) == 2
    assert main(["rules", "check"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert not marker.exists()
    assert len(errors) == 2 and all(line.startswith(f"matcher: {models}") and expected in line for line in errors)


def test_a_file_swapped_after_it_was_read_is_not_what_is_served(rules, models, trained, monkeypatch) -> None:
    """The bytes are read once: a swap after the read (the old code hashed, then opened the file again) changes
    nothing that is served."""
    model_id = trained[1]
    path = models / model_id / "model.json"
    genuine = json.loads(path.read_text())
    hostile = json.dumps({**genuine, "points": [{**p, "points": 50.0} for p in genuine["points"]]}).encode()
    read = Path.read_bytes

    def read_then_swap(self: Path) -> bytes:
        data = read(self)
        if self == path:
            path.write_bytes(hostile)  # the attacker wins the race right after the read
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_swap)
    model, _ = load_model(models, model_id, rules)
    assert path.read_bytes() == hostile
    case = json.loads(EXAMPLE.read_text())
    ratings = encode_cases([("x", case)], rules).values[:, :len(rules.catalogue.factors)]
    assert np.abs(model.score(ratings).points).max() < 5  # the genuine points; every hostile one is 50
    monkeypatch.setattr(Path, "read_bytes", read)
    with pytest.raises(InputError, match=r"model\.json: SHA-256 [0-9a-f]{16}\.\.\. does not match the registry"):
        load_model(models, model_id, rules)


def test_an_entry_changed_by_hand_or_signed_with_another_key_is_refused(rules, models, trained, monkeypatch) -> None:
    model_id = trained[1]
    _rewrite(models, lambda item: {**item, "status": "active"})  # signed as a candidate, made active by hand
    message = (rf"registry\.json: models\[0\] \(model {model_id}\): the entry has a signature that does not match: "
               r"it was written or changed outside matcher's model commands, or signed with another outside key")
    with pytest.raises(InputError, match=message):
        active_model(rules, models)
    _rewrite(models, lambda item: signing.signed(item))
    assert active_model(rules, models).id == model_id
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "12" * 32)
    with pytest.raises(InputError, match=message):
        active_model(rules, models)
    monkeypatch.delenv("INSATSMATCH_HMAC_KEY")
    monkeypatch.setenv("INSATSMATCH_KEY_FILE", str(models / "no-key"))
    with pytest.raises(InputError, match=r"signing or checking a model entry needs the outside key: the outside key "
                                         r"is missing"):
        active_model(rules, models)


def test_a_shipped_entry_is_trusted_by_its_pinned_digest_with_any_key(rules, models, trained, monkeypatch) -> None:
    model_id = trained[1]
    _rewrite(models, signing.unsigned)
    item = read_registry(models)["models"][0]
    monkeypatch.setattr(signing, "SHIPPED", {signing.entry_digest(item): model_id})
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "34" * 32)  # a fresh machine with another outside key
    assert load_model(models, model_id, rules)[0].id == model_id
    promote(models, model_id, "chosen on this machine", "eva", LENIENT, True)
    promoted = read_registry(models)["models"][0]
    assert signing.trust(promoted) == "signed" and active_model(rules, models).id == model_id
    _rewrite(models, lambda entry: {**entry, "history": entry["history"][:1]})  # active, without the promotion
    assert signing.trust(read_registry(models)["models"][0]) == ""  # a pinned entry is trusted only as shipped


def test_an_untrusted_entry_can_be_retired_but_never_becomes_trusted(rules, models, trained) -> None:
    model_id = trained[1]
    _rewrite(models, lambda item: signing.unsigned({**item, "status": "active"}))
    with pytest.raises(InputError, match="the entry has no signature"):
        active_model(rules, models)
    retire(models, model_id, "not ours", "eva")
    assert active_model(rules, models).id == "baseline-scorecard-1"
    assert "signature" not in read_registry(models)["models"][0]
    with pytest.raises(InputError, match="the entry has no signature"):
        promote(models, model_id, "try again", "eva", LENIENT, True)
