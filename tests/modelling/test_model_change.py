"""The notice on a case whose risk level was computed by another model than the active one."""

from matcher.modelling.model_change import model_change


def _result(model: str, level: str) -> dict:
    return {"version": {"model": model, "rule_base": "x", "evidence_snapshot": "2026-01-01"}, "risk": {"level": level}}


def test_no_notice_without_a_saved_recommendation_or_with_the_same_model() -> None:
    assert model_change(None, _result("baseline-scorecard-1", "high"), "sv") is None
    assert model_change(_result("m1", "high"), _result("m1", "moderate"), "sv") is None


def test_the_notice_names_both_models_and_both_levels_in_the_readers_language() -> None:
    notice = model_change(_result("baseline-scorecard-1", "high"), _result("binned-20261204-fc90529e", "moderate"),
                          "sv")
    assert notice == {
        "then_model": "baseline-scorecard-1", "then_level": "hög", "now_model": "binned-20261204-fc90529e",
        "now_level": "måttlig",
        "text": "Risknivån räknades fram med modellen baseline-scorecard-1 (hög). Modellen som används nu är "
                "binned-20261204-fc90529e, som ger måttlig. Gör om bedömningen eller rekommendationen om skillnaden "
                "spelar roll."}
    english = model_change(_result("a", "low"), _result("b", "high"), "en")
    assert english is not None and english["text"].startswith("The risk level was computed with model a (low).")
