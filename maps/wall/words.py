"""The wall's own words, in Chinese and English (the map's are in maps.labels)."""

from __future__ import annotations

from typing import Final

from geo_api.gaps.finder import GAP_TYPES
from maps.labels import gap_label

ZH: Final[dict[str, str]] = {
    "card.coverage": "单元长覆盖率",
    "card.without_head": "无单元长户数",
    "card.heads_over_target": "超目标单元长",
    "card.gaps_high": "严重问题",
    "card.gaps_medium": "中等问题",
    "card.gaps_low": "轻微问题",
    "delta.day": "较昨日",
    "delta.week": "较上周",
    "alerts": "最新告警",
    "alert.new": "新",
    "alert.who": "责任人",
    "alert.since": "发现于",
    "alert.none": "暂无问题",
    "who.unit": "单元长",
    "who.building": "楼长",
    "who.compound": "小区长",
    "who.community": "社区",
    "who.street": "街道",
    "who.grid_officer": "网格员",
    "trend": "近30天趋势",
    "rank.coverage": "覆盖率最低的社区",
    "rank.gaps": "问题最多的社区",
    "streets": "街道",
    "place.city": "全市",
    "back": "返回上级",
    "as_of": "数据截至",
    "offline": "连接中断，稍后重试",
}
EN: Final[dict[str, str]] = {
    "card.coverage": "Households with a unit head",
    "card.without_head": "Without a unit head",
    "card.heads_over_target": "Unit heads over target",
    "card.gaps_high": "Severe gaps",
    "card.gaps_medium": "Medium gaps",
    "card.gaps_low": "Minor gaps",
    "delta.day": "vs yesterday",
    "delta.week": "vs last week",
    "alerts": "Latest alerts",
    "alert.new": "NEW",
    "alert.who": "Who acts",
    "alert.since": "since",
    "alert.none": "No open gaps",
    "who.unit": "Unit head",
    "who.building": "Building head",
    "who.compound": "Compound head",
    "who.community": "Community",
    "who.street": "Street office",
    "who.grid_officer": "Grid officer",
    "trend": "Last 30 days",
    "rank.coverage": "Lowest coverage",
    "rank.gaps": "Most open gaps",
    "streets": "Streets",
    "place.city": "City",
    "back": "Back",
    "as_of": "Data as of",
    "offline": "Connection lost, retrying",
}


def wall_words(lang: str) -> dict[str, str]:
    """The wall's words in ``lang``, with every gap type's name as ``gap.<type>``."""
    words = dict(ZH if lang == "zh" else EN)
    words.update({f"gap.{g.name}": gap_label(g.name, g.label, lang) for g in GAP_TYPES})
    return words
