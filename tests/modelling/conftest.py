import pytest

MODELS_KEY = "ab" * 32  # the outside key of these tests; the same as the command line's (tests/conftest.py cli_data)


@pytest.fixture(scope="package", autouse=True)
def outside_key():
    """Registry entries are signed with a subkey of the outside key: one known key for every modelling test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSATSMATCH_HMAC_KEY", MODELS_KEY)
        yield MODELS_KEY
