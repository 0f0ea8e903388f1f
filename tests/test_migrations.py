"""Alembic migrations against the models, and the SQLite connection settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.db import make_engine, migrate
from portal.db.models import Base
from tests.conftest import HEAD, empty_database_url


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of the backend under test."""
    empty = make_engine(empty_database_url(tmp_path))
    yield empty
    empty.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty SQLite file, whatever the backend under test."""
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    yield empty
    empty.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_empty_database_creates_every_model_table(engine: Engine) -> None:
    # Act
    migrate.upgrade(engine)

    # Assert
    assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_upgrade_empty_database_matches_models(engine: Engine) -> None:
    # Act
    migrate.upgrade(engine)

    # Assert
    assert schema_differences(engine) == []


def test_upgrade_empty_database_reaches_head(engine: Engine) -> None:
    # Act
    migrate.upgrade(engine)

    # Assert
    assert (migrate.current_revision(engine), migrate.head_revision(engine)) == (HEAD, HEAD)


def test_current_revision_empty_database_is_none(engine: Engine) -> None:
    # Act
    revision = migrate.current_revision(engine)

    # Assert
    assert revision is None


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    # Arrange
    migrate.upgrade(engine)

    # Act
    migrate.upgrade(engine)

    # Assert
    assert (table_names(engine), migrate.current_revision(engine), schema_differences(engine)) == (
        set(Base.metadata.tables) | {"alembic_version"},
        HEAD,
        [],
    )


def test_downgrade_to_base_drops_every_model_table(engine: Engine) -> None:
    # Arrange
    migrate.upgrade(engine)

    # Act
    migrate.downgrade(engine, "base")

    # Assert
    assert table_names(engine) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None


def test_upgrade_after_downgrade_restores_schema(engine: Engine) -> None:
    # Arrange
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")

    # Act
    migrate.upgrade(engine)

    # Assert
    assert (table_names(engine), migrate.current_revision(engine), schema_differences(engine)) == (
        set(Base.metadata.tables) | {"alembic_version"},
        HEAD,
        [],
    )


# --- SQLite connection settings ---------------------------------------------------------


def pragmas(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }


@pytest.mark.sqlite_only
def test_app_sqlite_connection_uses_wal_foreign_keys_and_busy_timeout(app: Flask) -> None:
    # Act
    found = pragmas(db.database(app).engine)

    # Assert
    assert found == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}


def test_make_engine_sqlite_every_pooled_connection_has_pragmas(sqlite_engine: Engine) -> None:
    # Arrange: two connections open at once are two separate DBAPI connections
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        # Act
        found = [
            {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
            for connection in (first, second)
        ]

    # Assert
    assert found == [{"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}] * 2


@pytest.mark.sqlite_only
def test_app_sqlite_foreign_keys_are_enforced(app: Flask) -> None:
    # Arrange
    engine = db.database(app).engine

    # Act / Assert
    with engine.begin() as connection, pytest.raises(IntegrityError) as raised:
        connection.exec_driver_sql(
            "INSERT INTO township (code, county_code, name_zh, name_en, zip, kind) "
            "VALUES ('99999999', '99999', '測試鄉', 'Test', '999', '鄉')"
        )
    assert str(raised.value.orig) == "FOREIGN KEY constraint failed"
