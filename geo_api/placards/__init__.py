"""Placards (三长信息公示牌): the heads of a building or compound on one A4 page."""
