"""The resource list (资源清单) from the spreadsheets streets and communities keep:
资源名称, 类型, 类别, 数量, 计量单位, 可服务需求数, 提供单位 or 提供党员 (+ 电话), 社区,
地址, 经度/纬度, 年度. Upserted on year, title and community; an item without a place
stands at its unit's, as one entered by hand does (geo_api.party.lists).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from geo_api.importer.checks import Checked, RowErrors, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.party_rows import (
    ListState,
    category_of,
    community_of,
    first_of_key,
    given,
    land_rows,
    lookups,
    number,
    one,
    row_year,
    stored_key,
)
from geo_api.importer.points import city_bounds, point_coordinates
from geo_api.importer.upsert import Landed

KINDS = {
    "场地": "venue",
    "阵地": "venue",
    "志愿队伍": "team",
    "队伍": "team",
    "资金": "funds",
    "技能服务": "skill",
    "技能": "skill",
    "物资": "goods",
    "其他": "other",
}
ENGLISH = ("venue", "team", "funds", "skill", "goods", "other")
PROVIDERS = ("provider_unit", "unit_id", "member")
UPDATES = {"kind": ("kind",), "category_id": ("category",), "unit_id": PROVIDERS,
           "member_id": PROVIDERS, "quantity": ("quantity",), "measure": ("measure",),
           "capacity": ("capacity",), "address": ("address",)}  # fmt: skip
COLUMNS = ("year", "title", "kind", "category_id", "unit_id", "member_id", "quantity",
           "measure", "capacity", "community_id", "address")  # fmt: skip
TEXTS = ("year", "title", "kind", "category", "quantity", "measure", "capacity",
         "provider_unit", "unit_id", "member", "phone", "community", "community_id",
         "address", "lon", "lat", "crs")  # fmt: skip


def kind_of(value: str) -> str | None:
    """The resource kind a cell says (Chinese or English), or None."""
    key = value.strip()
    return key.lower() if key.lower() in ENGLISH else KINDS.get(key)


class ResourceLayer(Layer[ListState]):
    """The resources of a year's list."""

    name = "resources"
    doc = "resource list (资源清单): what units and members offer, in which category, where"
    geometry = "points or none"
    required = frozenset({"year", "title", "kind", "category"})
    one_of = (frozenset({"provider_unit"}), frozenset({"member", "phone"}), frozenset({"unit_id"}))
    fields = (
        Field("year", "whole number", "the list's year (2021, 2021年)", ("年度", "年份", "年")),
        Field("title", "text", "the resource's name", ("资源名称", "资源", "名称")),
        Field("kind", "resource kind", "场地, 志愿队伍, 资金, 技能服务, 物资, 其他 "
              "(or venue, team, funds, skill, goods, other)", ("类型", "资源类型")),
        Field("category", "category", "the shared categories by code or name (养老助老, "
              "elderly ...): gridgov categories lists them", ("类别", "分类", "服务类别")),
        Field("quantity", "number", "how much is offered (optional, > 0)", ("数量",)),
        Field("measure", "text", "the quantity's unit: 人次, 平方米, 元 ...",
              ("计量单位", "单位名", "量词")),
        Field("capacity", "whole number", "how many demands it serves at once (1 if absent)",
              ("可服务需求数", "可服务数", "容量")),
        Field("provider_unit", "text", "the alliance unit that offers it, by name",
              ("提供单位", "联盟单位", "单位名称", "unit")),
        Field("unit_id", "id", "the unit's id (as the lists' export gives it)"),
        Field("member", "text", "or the member who offers it, by name (with 电话)",
              ("提供党员", "党员", "党员姓名")),
        Field("phone", "phone", "the member's phone, as registered"),
        Field("community", "text", "the community, by code or name (optional)"),
        Field("community_id", "id", "the community's id (as the lists' export gives it)"),
        Field("address", "text", "where it is (optional)"),
        Field("lon", "number", "longitude (optional: else the unit's place)"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> ListState:
        """Categories, communities, units and members by name; the city's extent."""
        state = ListState(conn, lookups(conn))
        state.bounds = city_bounds(conn)
        state.updates = given(fields, UPDATES)
        return state

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: ListState
    ) -> Checked:
        """Years, titles, kinds, categories, providers, numbers and places of one chunk."""
        return check_resources(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """None: the rows land through ``land`` (no unique index holds their key)."""
        return []

    def land(self, conn: Connection, state: ListState, rows: pd.DataFrame) -> Landed:
        """Each row found on (year, title, community) and updated, or inserted."""
        landed, changed = land_rows(conn, "party_resource", COLUMNS, rows, state.updates)
        state.touched += [i for i, _, how in changed if how != "unchanged"]
        return landed

    def records(self, state: ListState) -> list[str]:
        """The resources added or changed."""
        return [f"party_resource:{i}" for i in state.touched]


def check_resources(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: ListState
) -> Checked:
    """Check one chunk of resources; ``state.seen`` spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in TEXTS}
    if "crs" not in fields:
        del col["crs"]
    for name in ("year", "title", "kind", "category"):
        errors.flag(col[name].isna().to_numpy(), name, None, "missing")
    flags: list[str] = []
    phone = phones(col["phone"].rename(fields.get("phone", "phone")), errors, flags)
    lon, lat = point_coordinates(chunk, col, crs, state.bounds, errors)
    if "geometry" in chunk:
        state.updates.add("geom")  # the file's own points
    look = state.lookups
    n = len(chunk)
    out: dict[str, list[object]] = {c: [None] * n for c in (*COLUMNS, "lon", "lat")}
    for k in range(n):
        if errors.bad[k]:
            continue
        row = one(errors, k)
        year = row_year(errors, col, k)
        if year is None:
            continue
        kind = kind_of(str(col["kind"].iat[k]))
        if kind is None:
            errors.flag(
                row, "kind", col["kind"], "say 场地, 志愿队伍, 资金, 技能服务, 物资 or 其他"
            )
            continue
        community = None
        for field in ("community", "community_id"):
            if col[field].iat[k] is not None:
                community = community_of(col[field].iat[k], look, errors, k, col[field], field)
                if community is None:
                    break
        if errors.bad[k]:
            continue
        title = str(col["title"].iat[k])
        key = (year, title, community)
        if not first_of_key(errors, col, k, state.seen, key):
            continue
        stored = stored_key(state.conn, "party_resource", year, title, community)
        category = category_of(col["category"].iat[k], look, errors, k, col["category"],
                               stored["category_id"] if stored else None)  # fmt: skip
        if category is None:
            continue
        unit, member, place = _provider(col, phone, k, state, errors)
        if errors.bad[k]:
            continue
        quantity = number(col["quantity"].iat[k]) if col["quantity"].iat[k] is not None else None
        if col["quantity"].iat[k] is not None and (quantity is None or quantity <= 0):
            errors.flag(row, "quantity", col["quantity"], "not a positive number")
            continue
        capacity = number(col["capacity"].iat[k]) if col["capacity"].iat[k] is not None else 1.0
        if capacity is None or capacity < 1 or capacity != int(capacity):
            errors.flag(row, "capacity", col["capacity"],
                        "a whole number of demands, at least 1")  # fmt: skip
            continue
        state.seen[key] = int(errors.rows[k])
        here = (lon[k], lat[k]) if np.isfinite(lon[k]) else place
        values = (
            year,
            title,
            kind,
            category,
            unit,
            member,
            quantity,
            col["measure"].iat[k],
            int(capacity),
            community,
            col["address"].iat[k],
        )
        for c, v in zip(COLUMNS, values, strict=True):
            out[c][k] = v
        out["lon"][k], out["lat"][k] = here
    good = ~errors.bad
    frame = pd.DataFrame({"_row": chunk["_row"].to_numpy()[good]})
    for c, cells in out.items():
        frame[c] = pd.Series(cells, dtype=object).to_numpy()[good]
    return Checked(frame, errors.rejects, flags)


def _provider(
    col: dict[str, pd.Series], phone: pd.Series, k: int, state: ListState, errors: RowErrors
) -> tuple[int | None, int | None, tuple[float | None, float | None]]:
    """The unit or the member who offers row ``k``'s resource, and the unit's place."""
    row, look = one(errors, k), state.lookups
    name, unit_id = col["provider_unit"].iat[k], col["unit_id"].iat[k]
    member = col["member"].iat[k]
    if (name is not None or unit_id is not None) and member is not None:
        errors.flag(
            row, "member", col["member"], "a resource is offered by a unit or a member, not both"
        )
        return None, None, (None, None)
    if name is not None:
        found = look.units.get(str(name))
        if found is None:
            errors.flag(
                row,
                "provider_unit",
                col["provider_unit"],
                "no alliance unit of this name (gridgov import alliance_units)",
            )
            return None, None, (None, None)
        return found[0], None, (found[1], found[2])
    if unit_id is not None:
        wanted = number(unit_id)
        match = next((u for u in look.units.values() if u[0] == wanted), None)
        if match is None:
            errors.flag(row, "unit_id", col["unit_id"], "no alliance unit with this id")
            return None, None, (None, None)
        return match[0], None, (match[1], match[2])
    if member is None:
        errors.flag(
            row, "provider_unit", None, "missing: name the unit (提供单位) or the member (提供党员)"
        )
        return None, None, (None, None)
    if phone.iat[k] is None:
        errors.flag(row, "phone", None, "missing: a member is found by name and phone")
        return None, None, (None, None)
    found_member = look.members.get((str(member), str(phone.iat[k])))
    if found_member is None:
        errors.flag(
            row,
            "member",
            col["member"],
            "no registered member has this name and phone (gridgov import members)",
        )
        return None, None, (None, None)
    return None, found_member, (None, None)


RESOURCES = ResourceLayer()
