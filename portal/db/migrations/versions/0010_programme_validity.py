"""programme validity years and their source; the two rows that fund nothing retired

Each ministry programme gets the years it runs (`valid_from`, `valid_to`, Gregorian,
either may be empty when no public source states it) and the source of those years.
The rows shipped before this change get the years of the corrected reference list;
the national strategy plan itself and the 會報 meeting, which are not programmes a
business can be funded by, are no longer offered (`active` false) but stay, so old
cases that named them still read.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RETIRED = (
    "國家發展委員會｜地方創生國家戰略計畫",
    "國家發展委員會｜行政院地方創生會報 工作會議（審查/核定地方創生計畫）",
)

# seed key -> (valid_from, valid_to), as in programmes.csv; the sources are in its notes.
YEARS: dict[str, tuple[int | None, int | None]] = {
    "國家發展委員會｜加速推動地方創生計畫(110至114年)（地方創生2.0）": (2021, 2025),
    "國家發展委員會｜打造永續共好地方創生計畫(114至117年)（地方創生3.0）": (2025, 2028),
    "國家發展委員會｜地方創生青年培力工作站": (2021, None),
    "國家發展委員會｜地方創生利他行動168": (2025, None),
    "經濟部（中小及新創企業署）｜地方產業創新研發推動計畫（地方型SBIR）": (2008, None),
    "經濟部（中小及新創企業署）｜城鄉在地共好能量提升計畫（114-117年）": (2025, 2028),
    "行政院科技會報/經濟部等｜普及智慧城鄉生活應用計畫（智慧城鄉）": (2018, 2020),
    "內政部（營建署，現國土管理署）｜城鎮之心工程計畫（前瞻基礎建設-城鄉建設）": (2017, 2024),
    "教育部｜大學社會責任實踐（USR）計畫": (2018, None),
    "科技部（現國科會）｜人文創新與社會實踐計畫（HISP）": (2012, None),
    "文化部｜原住民村落文化發展計畫": (2016, None),
}


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("validity_source", sa.Text(), server_default="", nullable=False))
    programme = sa.table(
        "programme",
        sa.column("seed_key", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("valid_from", sa.Integer),
        sa.column("valid_to", sa.Integer),
    )
    for key, (start, end) in YEARS.items():
        op.execute(
            programme.update()
            .where(programme.c.seed_key == key, programme.c.valid_from.is_(None), programme.c.valid_to.is_(None))
            .values(valid_from=start, valid_to=end)
        )
    op.execute(programme.update().where(programme.c.seed_key.in_(RETIRED)).values(active=False))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("validity_source")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
