"""The showcase lists a cross-county case on the page of every county taking part."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from portal import snapshot
from portal.showcase import create_showcase_app
from portal.snapshot import Participant
from tests.test_publish import expected_case

TITLE = "埔里和平山城共好計畫"


def test_cross_county_case_is_listed_on_every_participating_countys_page(tmp_path: Path) -> None:
    case = dataclasses.replace(
        expected_case("puli-township-7", date(2026, 11, 2)),
        title=TITLE,
        type="regional",
        participating=(Participant("10008100", "南投縣國姓鄉"), Participant("66000290", "臺中市和平區")),
    )
    path = tmp_path / "proposals" / "2026" / "puli-township-7.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")
    client = create_showcase_app({"PROPOSALS_DIR": str(tmp_path / "proposals")}).test_client()

    # The English chrome shows the case's English title.
    listed = {
        page: marker in client.get(page).get_data(as_text=True)
        for page, marker in [
            ("/county/10008/", TITLE),
            ("/county/66000/", TITLE),
            ("/en/county/66000/", "Puli Eco-town"),
        ]
    }
    missing = client.get("/county/10014/")
    browse = client.get("/browse/").get_data(as_text=True)

    assert listed == {"/county/10008/": True, "/county/66000/": True, "/en/county/66000/": True}
    assert missing.status_code == 404  # 臺東縣 takes no part: no page
    assert '<li><a href="/county/66000/">臺中市</a>（1）</li>' in browse
