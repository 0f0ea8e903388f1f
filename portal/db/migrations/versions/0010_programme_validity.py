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

# ruff: noqa: E501 (the sources are quoted whole)
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

# seed key -> (valid_from, valid_to, the source of those years), as in programmes.csv.
YEARS: dict[str, tuple[int | None, int | None, str]] = {
    "國家發展委員會｜加速推動地方創生計畫(110至114年)（地方創生2.0）": (
        2021,
        2025,
        "計畫名稱所載 110至114年；行政院 2020-10-05 核定 [src: https://m.epochtimes.com.tw/n407734/]",
    ),
    "國家發展委員會｜打造永續共好地方創生計畫(114至117年)（地方創生3.0）": (
        2025,
        2028,
        "行政院會 2024-02-01 通過「打造永續共好地方創生計畫(2025-2028年)」 [src: http://cna.com.tw/news/aipl/202402010131.aspx]",
    ),
    "國家發展委員會｜地方創生青年培力工作站": (
        2021,
        None,
        "2021 年起於地方創生2.0 下設立；結束年未見公開來源 [src: https://www.storm.mg/article/4744788]",
    ),
    "國家發展委員會｜國家發展基金 創業天使投資方案": (
        None,
        None,
        "截至114年底仍在執行（累計300家）；起訖年未見公開來源 [src: https://udn.com/news/story/7238/9378989]",
    ),
    "國家發展委員會｜地方創生利他行動168": (
        2025,
        None,
        "2025 年徵件；之後年度未見公開來源 [src: https://tw.news.yahoo.com/地方創生專案徵件啟動-國發會提供最高68萬獎勵金-102435338.html]",
    ),
    "經濟部（中小及新創企業署）｜地方產業創新研發推動計畫（地方型SBIR）": (
        2008,
        None,
        "2008 年起由各縣市辦理；結束年未見公開來源 [src: https://ec.ltn.com.tw/article/breakingnews/5354934]",
    ),
    "經濟部｜強化地方工業區公共設施補助方案（在地型產業園區）": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "經濟部（中小及新創企業署）｜城鄉在地共好能量提升計畫（114-117年）": (
        2025,
        2028,
        "計畫名稱所載 114-117年 [src: https://news-demo.cts.com.tw/cna/politics/202411/202411212405389.html]",
    ),
    "經濟部（中小及新創企業署）｜城鄉·未來事–地方特色產業創意大賽": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "行政院科技會報/經濟部等｜普及智慧城鄉生活應用計畫（智慧城鄉）": (
        2018,
        2020,
        "立法院預算中心：期程107年度至109年度，總經費60億元 [src: https://www.ly.gov.tw/Pages/Detail.aspx?nodeid=37050&pid=189758]",
    ),
    "內政部（營建署，現國土管理署）｜城鎮之心工程計畫（前瞻基礎建設-城鄉建設）": (
        2017,
        2024,
        "106-109年為第一期；前瞻第4期特別預算仍編列112、113年度「城鎮之心工程」，之後年度未見公開來源 [src: https://formosarace.blogspot.com/2017/03/03.html ; https://www.ly.gov.tw/Pages/Detail.aspx?nodeid=45678&pid=221774]",
    ),
    "內政部（營建署）｜均衡城鄉發展推動方案": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "教育部｜大學社會責任實踐（USR）計畫": (
        2018,
        None,
        "107年起；2025 年仍在執行 [src: http://usr.moe.gov.tw/about-2.php]",
    ),
    "科技部（現國科會）｜人文創新與社會實踐計畫（HISP）": (
        2012,
        None,
        "2012 年起 [src: https://gase.most.ntu.edu.tw/articles/78]",
    ),
    "文化部｜社區營造三期及村落文化發展計畫": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "文化部｜再造歷史現場專案計畫": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "文化部｜原住民村落文化發展計畫": (
        2016,
        None,
        "105年起；115年仍有補助名單 [src: https://tw.news.yahoo.com/文化部115年-原住民村落文化發展計畫-獲補助名單公布-143332114.html]",
    ),
    "行政院農業委員會（現農業部）｜農村再生（第二期/第三期實施計畫）": (
        None,
        None,
        "第三期為109-112年；農村再生依農村再生條例持續辦理，後續期別的年度未見公開來源，故不設結束年 [src: https://join.gov.tw/acts/detail/5feca66b-fc6b-42f8-b9f2-f0194b6490d5]",
    ),
    "客家委員會｜客庄創生環境營造計畫": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "客家委員會｜客庄地方創生移居計畫": (
        None,
        None,
        "起訖年未見公開來源",
    ),
    "原住民族委員會｜前瞻基礎建設計畫-城鄉建設 原民部落營造": (
        2017,
        None,
        "核定本 2017-07；結束年未見公開來源 [src: https://vdocuments.pub/ (前瞻基礎建設計畫-城鄉建設 原民部落營造 核定本)]",
    ),
    "勞動部（勞動力發展署）｜多元就業開發方案／培力就業計畫": (
        None,
        None,
        "起訖年未見公開來源",
    ),
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
        sa.column("validity_source", sa.Text),
    )
    for key, (start, end, source) in YEARS.items():
        op.execute(
            programme.update()
            .where(programme.c.seed_key == key)
            .values(valid_from=start, valid_to=end, validity_source=source)
        )
    op.execute(programme.update().where(programme.c.seed_key.in_(RETIRED)).values(active=False))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("validity_source")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
