"""Reference data: the shipped counties and townships, reloading, and the priority list."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import db
from portal.db.models import County, PriorityArea, Programme, Region, Strategy, Township
from portal.domain.roles import Role
from tests.conftest import DAREN, GUOXING, HEAD, PULI, Auth, Factory, make_app

DATA = Path(__file__).resolve().parent.parent / "portal" / "reference" / "data"

SHIPPED_COUNTS = {
    "region": 7,
    "county": 22,
    "township": 368,
    "strategy": 5,
    "programme": 25,
    "priority_area": 0,
}


def read_shipped(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def row_counts(session: Session) -> dict[str, int]:
    models = (Region, County, Township, Strategy, Programme, PriorityArea)
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0 for model in models}


def priority_rows(session: Session) -> dict[str, str]:
    session.expire_all()  # the rows were written by the command's own session
    return {row.township_code: row.kind for row in session.scalars(select(PriorityArea))}


def invoke(app: Flask, *args: str) -> Result:
    """Run a `portal` command inside an app context, as the `portal` script does."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database file, before `portal init` ever ran."""
    (tmp_path / "fresh").mkdir()
    application = make_app(tmp_path / "fresh")
    yield application
    db.database(application).engine.dispose()


# --- the shipped reference data ----------------------------------------------------------


def test_init_loads_shipped_row_counts(session: Session) -> None:
    # Act
    counts = row_counts(session)

    # Assert
    assert counts == SHIPPED_COUNTS


def test_init_every_township_has_one_existing_county(session: Session) -> None:
    # Act
    joined = session.execute(
        select(Township.code, func.count(County.code))
        .outerjoin(County, County.code == Township.county_code)
        .group_by(Township.code)
    )

    # Assert
    assert Counter(count for _code, count in joined) == {1: 368}


def test_init_townships_sit_in_the_county_named_in_csv(session: Session) -> None:
    # Act
    loaded = {t.code: t.county.name_zh for t in session.scalars(select(Township))}

    # Assert
    assert loaded == {row["code"]: row["county_zh"] for row in read_shipped("townships.csv")}


def test_init_township_count_per_county_matches_regions_csv(session: Session) -> None:
    # Act
    rows = session.execute(select(Township.county_code, func.count()).group_by(Township.county_code))
    per_county = {county_code: count for county_code, count in rows}

    # Assert
    assert per_county == {row["county_code"]: int(row["township_count"]) for row in read_shipped("regions.csv")}


def test_init_township_kinds_counted(session: Session) -> None:
    # Act
    kinds = Counter(session.scalars(select(Township.kind)))

    # Assert
    assert kinds == {
        "區": 164,
        "鄉": 122,
        "鎮": 38,
        "市": 14,
        "山地原住民鄉": 24,
        "山地原住民區": 6,
    }


def test_init_counties_belong_to_regions_of_regions_csv(session: Session) -> None:
    # Act
    loaded = {c.code: c.region.name for c in session.scalars(select(County))}

    # Assert
    assert loaded == {row["county_code"]: row["region"] for row in read_shipped("regions.csv")}


# --- running init again -----------------------------------------------------------------------


def test_init_twice_keeps_row_counts_and_adds_no_programmes(fresh_app: Flask) -> None:
    # Arrange
    first = invoke(fresh_app, "init")
    with db.database(fresh_app).session() as session:
        counts_after_first = row_counts(session)

    # Act
    second = invoke(fresh_app, "init")

    # Assert
    assert (first.exit_code, first.output) == (
        0,
        f"資料庫已是最新版本（{HEAD}）。參考資料：7 區域、22 縣市、368 鄉鎮市區、5 支箭、新增 25 項部會計畫。\n",
    )
    assert (second.exit_code, second.output) == (
        0,
        f"資料庫已是最新版本（{HEAD}）。參考資料：7 區域、22 縣市、368 鄉鎮市區、5 支箭、新增 0 項部會計畫。\n",
    )
    assert counts_after_first == SHIPPED_COUNTS
    with db.database(fresh_app).session() as session:
        assert row_counts(session) == SHIPPED_COUNTS


NEW_NAME = "地方創生國家戰略計畫（新版）"


def rename_programme_as_admin(
    client: FlaskClient, auth: Auth, make: Factory, programme: Programme, new_name: str
) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    path = f"/admin/programmes/{programme.id}"
    response = client.post(
        path,
        data={
            "ministry": programme.ministry,
            "name": new_name,
            "notes": programme.notes,
            "active": "y",
            "csrf_token": auth.csrf(path),
        },
    )
    assert response.location == "/admin/reference#programmes", "the admin edit was refused"


def test_init_again_keeps_admin_edited_programme_name(
    client: FlaskClient, auth: Auth, make: Factory, app: Flask, session: Session
) -> None:
    # Arrange
    programme = session.scalars(select(Programme).order_by(Programme.id)).first()
    assert programme is not None
    rename_programme_as_admin(client, auth, make, programme, NEW_NAME)

    # Act
    result = invoke(app, "init")

    # Assert
    session.expire_all()
    reloaded = session.get(Programme, programme.id)
    assert (result.exit_code, reloaded.name if reloaded else None) == (0, NEW_NAME)


def test_init_again_does_not_resurrect_renamed_programme(
    client: FlaskClient, auth: Auth, make: Factory, app: Flask, session: Session
) -> None:
    # Arrange
    programme = session.scalars(select(Programme).order_by(Programme.id)).first()
    assert programme is not None
    old_name = programme.name
    names_before = sorted(session.scalars(select(Programme.name)))
    rename_programme_as_admin(client, auth, make, programme, NEW_NAME)

    # Act
    result = invoke(app, "init")

    # Assert
    session.expire_all()
    assert (result.exit_code, result.output) == (
        0,
        f"資料庫已是最新版本（{HEAD}）。參考資料：7 區域、22 縣市、368 鄉鎮市區、5 支箭、新增 0 項部會計畫。\n",
    )
    expected = sorted([n for n in names_before if n != old_name] + [NEW_NAME])
    assert sorted(session.scalars(select(Programme.name))) == expected


# --- importing the priority list ---------------------------------------------------------------

GOOD_ROWS = f"code,kind\n{PULI},中介城鎮\n{GUOXING},農山漁村\n{DAREN},原鄉\n"
GOOD_STATUS_LINE = "優先推動地區：已匯入 3 個（中介城鎮 1、原鄉 1、農山漁村 1）\n"
STATUS_HEAD = "區域：7\n縣市：22\n鄉鎮市區：368\n部會計畫：25\n"


def test_reference_status_before_import_says_not_imported(app: Flask) -> None:
    # Act
    result = invoke(app, "reference", "status")

    # Assert
    assert (result.exit_code, result.output) == (
        0,
        STATUS_HEAD + "優先推動地區：尚未匯入（portal reference import-priority FILE.csv）\n",
    )


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\n"), ("utf-8-sig", "\n"), ("utf-8-sig", "\r\n")],
    ids=["utf-8", "utf-8-bom", "utf-8-bom-crlf"],
)
def test_import_priority_good_file_loads(
    app: Flask, session: Session, tmp_path: Path, encoding: str, newline: str
) -> None:
    # Arrange
    path = write(tmp_path / "priority.csv", GOOD_ROWS.replace("\n", newline), encoding)

    # Act
    result = invoke(app, "reference", "import-priority", str(path))

    # Assert
    assert (result.exit_code, result.output) == (
        0,
        "已匯入 3 個優先推動地區（中介城鎮 1、原鄉 1、農山漁村 1）。\n",
    )
    assert priority_rows(session) == {PULI: "中介城鎮", GUOXING: "農山漁村", DAREN: "原鄉"}


def test_reference_status_after_import_reports_counts(app: Flask, tmp_path: Path) -> None:
    # Arrange
    path = write(tmp_path / "priority.csv", GOOD_ROWS)
    invoke(app, "reference", "import-priority", str(path))

    # Act
    result = invoke(app, "reference", "status")

    # Assert
    assert (result.exit_code, result.output) == (0, STATUS_HEAD + GOOD_STATUS_LINE)


def test_import_priority_second_file_replaces_whole_list(app: Flask, session: Session, tmp_path: Path) -> None:
    # Arrange
    invoke(app, "reference", "import-priority", str(write(tmp_path / "a.csv", GOOD_ROWS)))
    replacement = write(tmp_path / "b.csv", f"code,kind\n{DAREN},原鄉\n")

    # Act
    result = invoke(app, "reference", "import-priority", str(replacement))

    # Assert
    assert (result.exit_code, result.output) == (0, "已匯入 1 個優先推動地區（原鄉 1）。\n")
    assert priority_rows(session) == {DAREN: "原鄉"}


BAD_FILES = [
    pytest.param(
        f"code,kind\n{PULI},中介城鎮\n99999999,原鄉\n",
        "{path} 第 3 行：找不到鄉鎮市區代碼「99999999」",
        id="unknown-code",
    ),
    pytest.param(
        f"code,kind\n{PULI},中介城鎮\n{GUOXING},都市\n",
        "{path} 第 3 行：類型「都市」不正確，應為 農山漁村、中介城鎮、原鄉",
        id="bad-kind",
    ),
    pytest.param(
        f"code,kind\n{PULI},中介城鎮\n{GUOXING}\n",
        "{path} 第 3 行：類型「」不正確，應為 農山漁村、中介城鎮、原鄉",
        id="missing-kind",
    ),
    pytest.param(
        f"code,kind\n{PULI},中介城鎮\n{GUOXING},農山漁村\n{PULI},中介城鎮\n",
        f"{{path}} 第 4 行：代碼「{PULI}」與第 2 行重複",
        id="duplicate-code",
    ),
    pytest.param(
        f"code,type\n{PULI},中介城鎮\n",
        "{path} 第 1 行：欄位名稱必須包含 code 與 kind，目前是 ['code', 'type']",
        id="missing-header-column",
    ),
    pytest.param(
        f"code,kind\n{PULI},中介城鎮\n{GUOXING},農山漁村,備註\n",
        "{path} 第 3 行：欄位數比標題多",
        id="extra-column",
    ),
    pytest.param(
        "",
        "{path} 第 1 行：欄位名稱必須包含 code 與 kind，目前是 []",
        id="empty-file",
    ),
    pytest.param("code,kind\n", "{path} 沒有任何資料列", id="header-only"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_import_priority_bad_file_refused_with_line(
    app: Flask, session: Session, tmp_path: Path, content: str, message: str
) -> None:
    # Arrange
    path = write(tmp_path / "priority.csv", content)

    # Act
    result = invoke(app, "reference", "import-priority", str(path))

    # Assert
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"錯誤：{message.format(path=path)}\n",
    )
    assert priority_rows(session) == {}


def test_import_priority_missing_file_refused(app: Flask, tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "no-such-file.csv"

    # Act
    result = invoke(app, "reference", "import-priority", str(path))

    # Assert
    assert (result.exit_code, result.stderr) == (1, f"錯誤：找不到檔案：{path}\n")


def test_import_priority_non_utf8_file_refused(app: Flask, tmp_path: Path) -> None:
    # Arrange: Big5, as older Windows Excel saves Chinese CSV files
    path = write(tmp_path / "priority.csv", GOOD_ROWS, encoding="big5")

    # Act
    result = invoke(app, "reference", "import-priority", str(path))

    # Assert
    assert (result.exit_code, result.stderr) == (1, f"錯誤：{path} 不是 UTF-8 編碼的 CSV 檔\n")


def test_import_priority_error_after_blank_line_names_physical_line(app: Flask, tmp_path: Path) -> None:
    # Arrange: the unknown code is on line 4, after an empty line 3
    path = write(tmp_path / "priority.csv", f"code,kind\n{PULI},中介城鎮\n\n99999999,原鄉\n")

    # Act
    result = invoke(app, "reference", "import-priority", str(path))

    # Assert
    assert (result.exit_code, result.stderr) == (
        1,
        f"錯誤：{path} 第 4 行：找不到鄉鎮市區代碼「99999999」\n",
    )


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_import_priority_failure_keeps_previous_list(
    app: Flask, session: Session, tmp_path: Path, content: str, message: str
) -> None:
    # Arrange
    good = write(tmp_path / "good.csv", GOOD_ROWS)
    invoke(app, "reference", "import-priority", str(good))
    bad = write(tmp_path / "bad.csv", content)

    # Act
    result = invoke(app, "reference", "import-priority", str(bad))

    # Assert
    assert result.exit_code == 1
    assert priority_rows(session) == {PULI: "中介城鎮", GUOXING: "農山漁村", DAREN: "原鄉"}
    status = invoke(app, "reference", "status")
    assert status.output == STATUS_HEAD + GOOD_STATUS_LINE


def test_import_priority_failure_after_valid_rows_keeps_previous_list(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    # Arrange: the new file's first rows are valid and differ from the old list
    invoke(app, "reference", "import-priority", str(write(tmp_path / "a.csv", GOOD_ROWS)))
    bad = write(tmp_path / "b.csv", f"code,kind\n{PULI},原鄉\n{GUOXING},原鄉\n{DAREN},都市\n")

    # Act
    result = invoke(app, "reference", "import-priority", str(bad))

    # Assert
    assert (result.exit_code, result.stderr) == (
        1,
        f"錯誤：{bad} 第 4 行：類型「都市」不正確，應為 農山漁村、中介城鎮、原鄉\n",
    )
    assert priority_rows(session) == {PULI: "中介城鎮", GUOXING: "農山漁村", DAREN: "原鄉"}
