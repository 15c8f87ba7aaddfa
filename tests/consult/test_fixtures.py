"""The test fixtures' own promises: PostgreSQL and browser runs skip with a reason, or fail when required."""

from __future__ import annotations

import pytest

from . import conftest


class _Request:
    param = "postgresql"


@pytest.mark.parametrize(
    ("url", "require", "outcome", "message"),
    [
        (None, None, pytest.skip.Exception, "CONSULT_TEST_DATABASE_URL is not set"),
        (
            None,
            "1",
            pytest.fail.Exception,
            "CONSULT_REQUIRE_POSTGRES=1 but CONSULT_TEST_DATABASE_URL is not set",
        ),
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", None, pytest.skip.Exception, "unreachable"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", "1", pytest.fail.Exception, "unreachable"),
    ],
    ids=["unset-skips", "unset-required-fails", "down-skips", "down-required-fails"],
)
def test_postgres_fixture_skips_or_fails(monkeypatch, url, require, outcome, message):
    for name, value in (("CONSULT_TEST_DATABASE_URL", url), ("CONSULT_REQUIRE_POSTGRES", require)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match=message):
        next(conftest._postgres(_Request()))


@pytest.mark.parametrize(
    ("require", "outcome"),
    [(None, pytest.skip.Exception), ("1", pytest.fail.Exception)],
    ids=["skips", "fails"],
)
def test_missing_browser_skips_or_fails(monkeypatch, require, outcome):
    if require is None:
        monkeypatch.delenv("CONSULT_REQUIRE_BROWSER", raising=False)
    else:
        monkeypatch.setenv("CONSULT_REQUIRE_BROWSER", require)
    with pytest.raises(outcome, match="chromium not found"):
        conftest._unavailable("chromium not found at /nowhere")
