"""Traditional characters folded to simplified ones, for matching addresses.

Registers typed in Hong Kong, Macau or Taiwan, or by residents who write
traditional characters (社區12號樓1單元), must find the same compound as
社区12号楼1单元. A full converter (OpenCC) would be a heavy dependency for what
addresses need, so this is a small table: the markers of the address tail
(號 樓 棟 單 門 層 區 戶), the administrative words (街 鎮 鄉 縣 區 辦 處), the
financial numerals (貳 參 叄 陸 萬 兩) and the characters common in compound,
street and community names (園 華 麗 龍 陽 東 廣 ...).

Only characters that are not also in use in simplified text are listed, so
folding never changes a simplified address: 乾 (乾隆), 後 and 著 stay out. A
character missing from the table stays as written; both sides of a match are
folded the same way, so a miss costs a lower score, not a wrong answer.
"""

from __future__ import annotations

# Pairs (traditional, simplified), grouped by what they are for.
_PAIRS = (
    # The tail: building, unit, door, floor, room, household, zone.
    "號号樓楼棟栋單单門门層层區区戶户間间廳厅閣阁"
    # Administrative levels and offices.
    "縣县鎮镇鄉乡辦办處处會会員员黨党組组聯联際际屬属"
    # Numerals: financial forms and 万/两.
    "貳贰參叁叄叁陸陆萬万兩两億亿"
    # Common in compound, street and community names.
    "園园華华麗丽龍龙鳳凤陽阳東东廣广場场灣湾橋桥車车電电長长嶺岭蘇苏寧宁興兴莊庄豐丰"
    "農农業业學学濱滨澮浍張张馬马關关進进誼谊雙双體体實实圖图書书藝艺術术協协軍军營营"
    "養养樂乐壽寿鄰邻裡里裏里舊旧歸归齊齐魯鲁熱热風风雲云鄭郑劉刘陳陈楊杨趙赵黃黄吳吴"
    "孫孙鄧邓許许呂吕蕭萧樹树濟济漢汉滬沪遼辽陝陕貴贵蘭兰烏乌贛赣閩闽粵粤瓊琼臺台綠绿"
    "錦锦繡绣寶宝勝胜匯汇滙汇頤颐瀾澜濤涛巖岩嶽岳輝辉榮荣慶庆達达邁迈晉晋紡纺織织機机"
    "廠厂務务醫医職职師师範范銀银鐵铁鋼钢礦矿館馆廈厦軒轩灃沣澗涧義义開开發发環环線线"
    "僑侨濕湿潤润潔洁澤泽滿满盧卢羅罗葉叶蔣蒋韓韩馮冯鄒邹謝谢顧顾貝贝錢钱湯汤賴赖龐庞"
    "紅红綿绵貿贸廟庙觀观衛卫隊队團团鐘钟纜缆倉仓儲储運运輸输郵邮財财稅税亞亚歐欧韻韵"
    "詩诗畫画淵渊陰阴崗岗堅坚強强衆众眾众鷺鹭鵬鹏鶴鹤鷹鹰鳴鸣"
)
TO_SIMPLIFIED = {ord(t): s for t, s in zip(_PAIRS[::2], _PAIRS[1::2], strict=True)}


def to_simplified(text: str) -> str:
    """``text`` with the traditional characters of the table in their simplified form."""
    return text.translate(TO_SIMPLIFIED)
