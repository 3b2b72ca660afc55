"""Settings come from the environment; production refuses placeholder secrets."""

from __future__ import annotations

import pytest

from orderline.engine.settings import Settings


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.redis_url is None and s.nlu == "hybrid" and s.asr_model == "base"
    assert s.window_s == 10  # Whisper base gets the short encoder window
    assert Settings(_env_file=None, asr_model="tiny.en").window_s is None  # type: ignore[call-arg]


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("ORDERLINE_NLU", "rules")
    monkeypatch.setenv("ORDERLINE_MAX_LIVE_SESSIONS", "7")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.redis_url, s.nlu, s.max_live_sessions) == ("redis://cache:6379/0", "rules", 7)


def test_production_refuses_a_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERLINE_ENV", "production")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("ORDERLINE_SECRET_KEY", "9f1c0e7a5b3d4c2e8a6b0d1f3e5c7a9b")
    assert Settings(_env_file=None).env == "production"  # type: ignore[call-arg]


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERLINE_NLU", "magic")
    with pytest.raises(ValueError, match="nlu"):
        Settings(_env_file=None)  # type: ignore[call-arg]
