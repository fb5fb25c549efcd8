"""The placard as an A4 page: HTML with print CSS, in large Chinese type.

The page is one sheet of A4 (``@page size: A4``); its table's type shrinks with
the number of heads, and a long list is set in two columns, so a compound's
placard still fits one page. A list longer than the smallest type can hold (a
compound of some fifty buildings) ends where the sheet does, and the footer says
how many heads more are on their buildings' own placards. The font is gridgov's own
Noto Sans SC (the maps'), linked from the server, or inlined in the files the CLI
and the PDF renderer use.
"""

from __future__ import annotations

from html import escape

from geo_api.placards.content import Placard, PlacardHead
from maps.vendor import DEFAULT_BASE_URL, font_links

TITLE = "三长信息公示牌"
NOTE = "经本人同意公示的三长显示姓名和电话；其余姓名部分隐去，电话不公开。"
# The table's height on the sheet, in points (A4 less margins, heading and footer;
# measured in Chromium: tests/test_placards.py).
TABLE_PT = 430.0
LINE = 2.0  # a row's height in ems, padding and rules included
LARGEST_PT, SMALLEST_PT = 22.0, 7.5
TWO_COLUMNS_FROM = 24  # rows at which the list is set in two columns
# The most heads a sheet holds: two columns of the smallest type, less the header rows
# and a row each for the footer's note of those left out.
MOST_HEADS = 2 * (int(TABLE_PT / (SMALLEST_PT * LINE)) - 2)

CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: 'Noto Sans SC', 'Noto Sans CJK SC', sans-serif; color: #1a1a1a; }
.sheet { width: 186mm; height: 272mm; border: 2.5mm solid #b3001b; padding: 8mm 9mm;
         display: flex; flex-direction: column; overflow: hidden; }
header { text-align: center; border-bottom: 0.8mm solid #b3001b; padding-bottom: 4mm; }
h1 { font-size: 34pt; letter-spacing: 6pt; color: #b3001b; margin: 0; line-height: 1.2; }
h2 { font-size: 22pt; margin: 3mm 0 0; line-height: 1.25; }
.community { font-size: 14pt; color: #555; margin-top: 1mm; }
.heads { display: flex; gap: 4mm; margin-top: 5mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.3mm solid #555; padding: 0.25em 0.4em; line-height: 1.4;
         text-align: left; white-space: nowrap; overflow: hidden; }
th { background: #f6e3e5; }
td.phone { font-variant-numeric: tabular-nums; }
td.hidden { color: #777; }
footer { margin-top: auto; border-top: 0.8mm solid #b3001b; padding-top: 3mm;
         font-size: 14pt; line-height: 1.5; }
footer .note { font-size: 10pt; color: #555; }
@media screen { body { background: #ddd; } .sheet { margin: 8mm auto; background: #fff; } }
"""


def type_size(rows: int) -> tuple[float, int]:
    """The table's type size in points and its number of columns for ``rows`` heads."""
    columns = 2 if rows >= TWO_COLUMNS_FROM else 1
    per_column = -(-rows // columns) + 1  # the header row too
    size = TABLE_PT / (per_column * LINE)
    return max(SMALLEST_PT, min(LARGEST_PT, size)), columns


def _row(head: PlacardHead) -> str:
    hidden = "" if head.public else " hidden"
    return (
        f"<tr><td>{escape(head.title)}</td><td>{escape(head.serves)}</td>"
        f'<td class="name{hidden}">{escape(head.name)}</td>'
        f'<td class="phone{hidden}">{escape(head.phone)}</td></tr>'
    )


def _tables(heads: list[PlacardHead], size: float, columns: int) -> str:
    per_column = -(-len(heads) // columns) if heads else 0
    parts = []
    for c in range(columns):
        rows = heads[c * per_column : (c + 1) * per_column]
        parts.append(
            f'<table style="font-size:{size:.1f}pt"><thead><tr><th>职务</th><th>负责范围</th>'
            "<th>姓名</th><th>电话</th></tr></thead><tbody>"
            + "".join(_row(h) for h in rows)
            + "</tbody></table>"
        )
    return "".join(parts)


def placard_html(placard: Placard, base_url: str = DEFAULT_BASE_URL) -> str:
    """The placard as one A4 HTML page (fonts linked under ``base_url``)."""
    listed = placard.heads[:MOST_HEADS]
    size, columns = type_size(len(listed))
    heads = _tables(listed, size, columns) if listed else "<p>暂无三长</p>"
    more = len(placard.heads) - len(listed)
    left_out = f"<div>另有{more}位三长，见各楼栋的公示牌</div>" if more else ""
    officers = "、".join(placard.officers) or "暂无"
    station = "暂无"
    if placard.station is not None:
        how = "步行" if placard.station.walked else "直线"
        station = f"{placard.station.name}（{how}约{placard.station.metres:,.0f}米）"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(placard.place)} {TITLE}</title>
{font_links(base_url)}
<style>{CSS}</style></head>
<body><div class="sheet">
<header><h1>{TITLE}</h1><h2>{escape(placard.place)}</h2>
<div class="community">{escape(placard.community)}</div></header>
<div class="heads">{heads}</div>
<footer>{left_out}<div>网格员：{escape(officers)}</div>
<div>最近的党群服务站：{escape(station)}</div>
<div class="note">{NOTE}制表日期：{placard.made_on.isoformat()}</div>
</footer></div></body></html>
"""
