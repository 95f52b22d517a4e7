"""Both languages have every message, and every code the rules use has a label in both."""

import pytest

from matcher.i18n import LANGS, catalogue, t


def test_swedish_and_english_have_the_same_messages() -> None:
    assert set(catalogue("sv")) == set(catalogue("en"))


def test_every_label_the_rules_need_exists(rules) -> None:
    keys = set(catalogue("sv"))
    needed = {f"clearinghouse.{c}" for c in rules.policy.evidence_ratings}
    needed |= {f"actor.{iv.model.actor}" for iv in rules.interventions}
    needed |= {f"intensity.{iv.model.intensity}" for iv in rules.interventions}
    needed |= {f"strength.{s}" for s in rules.policy.evidence_strength}
    assert needed <= keys


def test_placeholders_match_between_languages() -> None:
    import string

    for key, text in catalogue("sv").items():
        names = {f[1] for f in string.Formatter().parse(text) if f[1]}
        other = {f[1] for f in string.Formatter().parse(catalogue("en")[key]) if f[1]}
        if key.startswith("pydantic."):  # English is pydantic's own message; Swedish uses its context values
            assert catalogue("en")[key] == "{msg}", key
            assert "msg" not in names or key == "pydantic.other", key
        else:
            assert names == other, key


def test_a_pydantic_error_reads_in_swedish_with_its_limits() -> None:
    from pydantic import BaseModel, Field, ValidationError

    from matcher.errors import validation_message

    class Age(BaseModel):
        min: int = Field(ge=0, le=30)

    with pytest.raises(ValidationError) as caught:
        Age.model_validate({"min": 40})
    said = validation_message(caught.value.errors()[0])
    assert said.text("sv") == "värdet får vara högst 30"
    assert str(said) == "Input should be less than or equal to 30"  # the command line keeps pydantic's words


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match=r"The language must be one of sv, en\. Got 'de' instead\."):
        t("de", "risk.low")
    assert LANGS == ("sv", "en")


def test_every_message_is_text() -> None:
    for lang in LANGS:
        assert [key for key, text in catalogue(lang).items() if not isinstance(text, str)] == [], lang
