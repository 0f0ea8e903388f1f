"""The app factory and its configuration: defaults, PORTAL_* variables, the secret key
and the session cookie's flags."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import config, create_app, db
from portal.domain.roles import Role
from tests.conftest import PASSWORD, PULI, Auth, Factory

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PORTAL_* variable of the shell running the tests leaks into these tests."""
    for key in config.ENV_KEYS:
        monkeypatch.delenv(f"PORTAL_{key}", raising=False)


@pytest.fixture
def built() -> Iterator[list[Flask]]:
    """Apps built by a test; their database engines are closed afterwards."""
    apps: list[Flask] = []
    yield apps
    for application in apps:
        db.database(application).engine.dispose()


def build(built: list[Flask], test_config: dict[str, Any] | None) -> Flask:
    application = create_app(test_config)
    built.append(application)
    return application


# --- PORTAL_* environment variables ---------------------------------------------------


def test_create_app_environment_paths_reach_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, built: list[Flask]
) -> None:
    # Arrange
    expected = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'from-env.db'}",
        "PROPOSALS_DIR": str(tmp_path / "env-proposals"),
        "CONTENT_DIR": str(tmp_path / "env-content"),
        "BUILD_DIR": str(tmp_path / "env-build"),
        "UPLOAD_DIR": str(tmp_path / "env-uploads"),
    }
    for key, value in expected.items():
        monkeypatch.setenv(f"PORTAL_{key}", value)

    # Act
    application = build(built, {"ENV": "testing", "SECRET_KEY": SECRET})

    # Assert
    assert {key: application.config[key] for key in expected} == expected
    assert db.database(application).url == expected["DATABASE_URL"]


@pytest.mark.parametrize(
    ("key", "raw", "parsed"),
    [
        ("LOGIN_MAX_FAILURES", "7", 7),
        ("LOGIN_LOCK_MINUTES", "30", 30),
        ("SESSION_IDLE_MINUTES", "45", 45),
        ("MAX_CONTENT_LENGTH", "1048576", 1048576),
    ],
)
def test_create_app_integer_environment_values_are_parsed(
    monkeypatch: pytest.MonkeyPatch, built: list[Flask], key: str, raw: str, parsed: int
) -> None:
    # Arrange
    monkeypatch.setenv(f"PORTAL_{key}", raw)

    # Act
    application = build(built, {"ENV": "testing", "SECRET_KEY": SECRET})

    # Assert
    assert (type(application.config[key]), application.config[key]) == (int, parsed)


def test_create_app_explicit_config_beats_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, built: list[Flask]
) -> None:
    # Arrange
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "9")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "secret-from-the-environment-0123456789")
    explicit = {
        "ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'explicit.db'}",
        "LOGIN_MAX_FAILURES": 3,
    }

    # Act
    application = build(built, explicit)

    # Assert
    assert {key: application.config[key] for key in explicit} == explicit


def test_create_app_empty_environment_value_keeps_default(monkeypatch: pytest.MonkeyPatch, built: list[Flask]) -> None:
    # Arrange
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "")

    # Act
    application = build(built, {"ENV": "testing", "SECRET_KEY": SECRET})

    # Assert
    assert application.config["LOGIN_MAX_FAILURES"] == 5


# --- refused configurations -------------------------------------------------------------


@pytest.mark.parametrize("environment", [{}, {"PORTAL_SECRET_KEY": ""}])
def test_create_app_production_without_secret_key_raises(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    # Arrange
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PORTAL_ENV", "production")

    # Act
    with pytest.raises(config.ConfigError) as raised:
        create_app({"DATABASE_URL": "sqlite://"})

    # Assert
    assert str(raised.value) == "正式環境必須設定 PORTAL_SECRET_KEY（至少 32 個字元的隨機字串）"


def test_resolve_production_short_secret_key_raises(tmp_path: Path) -> None:
    # Arrange
    environ = {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "abc123"}

    # Act / Assert
    with pytest.raises(config.ConfigError):
        config.resolve(tmp_path / "instance", None, environ)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"PORTAL_ENV": "staging"},
            "PORTAL_ENV 必須是 development, production, testing 之一，目前是「staging」",
        ),
        (
            {"PORTAL_ENV": "Production", "PORTAL_SECRET_KEY": SECRET},
            "PORTAL_ENV 必須是 development, production, testing 之一，目前是「Production」",
        ),
        (
            {"PORTAL_LOGIN_MAX_FAILURES": "five"},
            "PORTAL_LOGIN_MAX_FAILURES 必須是整數，目前是「five」",
        ),
        (
            {"PORTAL_LOGIN_MAX_FAILURES": "5.0"},
            "PORTAL_LOGIN_MAX_FAILURES 必須是整數，目前是「5.0」",
        ),
        (
            {"PORTAL_MAX_CONTENT_LENGTH": "2MB"},
            "PORTAL_MAX_CONTENT_LENGTH 必須是整數，目前是「2MB」",
        ),
    ],
)
def test_resolve_invalid_environment_raises(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    # Act
    with pytest.raises(config.ConfigError) as raised:
        config.resolve(tmp_path / "instance", None, environ)

    # Assert
    assert str(raised.value) == message


def test_create_app_invalid_env_variable_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrange
    monkeypatch.setenv("PORTAL_ENV", "staging")

    # Act
    with pytest.raises(config.ConfigError) as raised:
        create_app({"SECRET_KEY": SECRET, "DATABASE_URL": "sqlite://"})

    # Assert
    assert str(raised.value) == ("PORTAL_ENV 必須是 development, production, testing 之一，目前是「staging」")


# --- the secret key -------------------------------------------------------------------------


def test_resolve_development_generates_secret_key_in_instance_folder(tmp_path: Path) -> None:
    # Arrange
    instance = tmp_path / "instance"

    # Act
    settings = config.resolve(instance, None, {"PORTAL_ENV": "development"})

    # Assert
    key_file = instance / "secret_key"
    assert key_file.read_text(encoding="utf-8") == settings["SECRET_KEY"]
    assert len(bytes.fromhex(settings["SECRET_KEY"])) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_resolve_development_reuses_generated_secret_key(tmp_path: Path) -> None:
    # Arrange
    instance = tmp_path / "instance"
    first = config.resolve(instance, None, {"PORTAL_ENV": "development"})

    # Act
    second = config.resolve(instance, None, {"PORTAL_ENV": "development"})

    # Assert
    assert second["SECRET_KEY"] == first["SECRET_KEY"]


def test_resolve_development_key_differs_between_instances(tmp_path: Path) -> None:
    # Act
    one = config.resolve(tmp_path / "one", None, {"PORTAL_ENV": "development"})
    other = config.resolve(tmp_path / "other", None, {"PORTAL_ENV": "development"})

    # Assert
    assert one["SECRET_KEY"] != other["SECRET_KEY"]


def test_resolve_given_secret_key_writes_no_file(tmp_path: Path) -> None:
    # Arrange
    instance = tmp_path / "instance"

    # Act
    settings = config.resolve(instance, None, {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": SECRET})

    # Assert
    assert (settings["SECRET_KEY"], instance.exists()) == (SECRET, False)


# --- the session cookie ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "secure"),
    [("development", False), ("testing", False), ("production", True)],
)
def test_create_app_cookie_flags_follow_environment(built: list[Flask], env: str, secure: bool) -> None:
    # Act
    application = build(built, {"ENV": env, "SECRET_KEY": SECRET, "DATABASE_URL": "sqlite://"})

    # Assert
    flags = {
        key: application.config[key]
        for key in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE")
    }
    assert flags == {
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    """The cookie's name and its attributes (flags map to an empty string)."""
    first, *rest = header.split("; ")
    attributes = {}
    for part in rest:
        name, _, value = part.partition("=")
        attributes[name] = value
    return first.partition("=")[0], attributes


def test_login_set_cookie_is_httponly_and_samesite_lax(client: FlaskClient, auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    cookies = [cookie_attributes(h) for h in response.headers.getlist("Set-Cookie")]
    assert (response.status_code, response.location) == (302, "/")
    assert cookies == [("session", {"HttpOnly": "", "Path": "/", "SameSite": "Lax"})]
