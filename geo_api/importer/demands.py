"""The demand list (需求清单) from the spreadsheets streets and communities keep:
需求名称, 类别, 社区, 小区, 提出人, 提出日期, 紧急程度, 完成节点, 经度/纬度, 年度.
Upserted on year, title and community. A demand without coordinates stands at its
compound's centre, else its community's, and the import says how many did. An
import never moves a demand's status: projects and officers do.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from geo_api.clock import today
from geo_api.importer.checks import Checked, RowErrors, dates, text_column
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

URGENCY = {"一般": 1, "低": 1, "不急": 1, "较急": 2, "中": 2, "急": 3, "紧急": 3, "高": 3,
           "特急": 3, "low": 1, "medium": 2, "high": 3}  # fmt: skip
DUE = {"年初": "start", "年中": "mid", "年末": "end", "年底": "end", "start": "start",
       "mid": "mid", "end": "end"}  # fmt: skip
UPDATES = {"category_id": ("category",), "compound_id": ("compound", "compound_id"),
           "raised_by": ("raised_by",), "raised_on": ("raised_on",), "urgency": ("urgency",),
           "due": ("due",)}  # fmt: skip
COLUMNS = ("year", "title", "category_id", "community_id", "compound_id", "raised_by",
           "raised_on", "urgency", "due")  # fmt: skip
TEXTS = ("year", "title", "category", "community", "community_id", "compound", "compound_id",
         "raised_by", "raised_on", "urgency", "due", "lon", "lat", "crs")  # fmt: skip


def urgency_of(value: str) -> int | None:
    """The urgency a cell says (一般/较急/紧急, or 1..3), or None."""
    key = value.strip()
    found = number(key)
    if found is not None:
        return int(found) if found in (1.0, 2.0, 3.0) else None
    return URGENCY.get(key.lower())


class DemandLayer(Layer[ListState]):
    """The demands of a year's list."""

    name = "demands"
    doc = "demand list (需求清单): what communities and compounds need, how urgent, by when"
    geometry = "points or none"
    required = frozenset({"year", "title", "category"})
    one_of = (frozenset({"community"}), frozenset({"community_id"}))
    fields = (
        Field("year", "whole number", "the list's year (2021, 2021年)", ("年度", "年份", "年")),
        Field("title", "text", "the demand's name", ("需求名称", "需求", "名称")),
        Field("category", "category", "the shared categories by code or name (养老助老, "
              "elderly ...)", ("类别", "分类", "需求类别")),
        Field("community", "text", "the community, by code or name"),
        Field("community_id", "id", "the community's id (as the lists' export gives it)"),
        Field("compound", "text", "the compound, by name within the community (optional)"),
        Field("compound_id", "id", "the compound's id (as the lists' export gives it)"),
        Field("raised_by", "text", "who raised it: a body, or a person (personal data)",
              ("提出人", "提出单位", "提出方")),
        Field("raised_on", "date", "when it was raised (today if absent)",
              ("提出日期", "提出时间", "登记日期")),
        Field("urgency", "urgency", "一般, 较急, 紧急 (or 1..3; 较急 if absent)",
              ("紧急程度", "紧急度", "缓急")),
        Field("due", "checkpoint", "by when: 年初, 年中, 年末 (年中 if absent)",
              ("完成节点", "完成时限", "节点")),
        Field("lon", "number", "longitude (optional: else its compound's or community's centre)"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> ListState:
        """Categories, communities and compounds by name; the city's extent."""
        state = ListState(conn, lookups(conn))
        state.bounds = city_bounds(conn)
        state.updates = given(fields, UPDATES)
        return state

    def warnings(self, fields: dict[str, str]) -> list[str]:
        """Demands without coordinates stand at a centre: say so before anything lands."""
        if {"lon", "lat"} <= set(fields):
            return []
        return ["no 经度/纬度 columns: each demand stands at its compound's centre, "
                "else its community's"]  # fmt: skip

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: ListState
    ) -> Checked:
        """Years, titles, categories, places, dates, urgencies and points of one chunk."""
        return check_demands(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """None: the rows land through ``land`` (no unique index holds their key)."""
        return []

    def land(self, conn: Connection, state: ListState, rows: pd.DataFrame) -> Landed:
        """Each row found on (year, title, community) and updated, or inserted."""
        landed, changed = land_rows(conn, "party_demand", COLUMNS, rows, state.updates)
        state.touched += [i for i, _, how in changed if how != "unchanged"]
        return landed

    def after(self, conn: Connection, state: ListState, options: Options) -> list[str]:
        """How many demands were placed at a centre."""
        return state.notes

    def records(self, state: ListState) -> list[str]:
        """The demands added or changed."""
        return [f"party_demand:{i}" for i in state.touched]


def check_demands(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: ListState
) -> Checked:
    """Check one chunk of demands; ``state.seen`` spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in TEXTS}
    if "crs" not in fields:
        del col["crs"]
    for name in ("year", "title", "category"):
        errors.flag(col[name].isna().to_numpy(), name, None, "missing")
    errors.flag((col["community"].isna() & col["community_id"].isna()).to_numpy(),
                "community", None, "missing")  # fmt: skip
    raised = dates(col["raised_on"], errors, "raised_on")
    lon, lat = point_coordinates(chunk, col, crs, state.bounds, errors)
    if "geometry" in chunk:
        state.updates.add("geom")  # the file's own points
    look = state.lookups
    n = len(chunk)
    out: dict[str, list[object]] = {c: [None] * n for c in (*COLUMNS, "lon", "lat")}
    centred = {"compound": 0, "community": 0}
    for k in range(n):
        if errors.bad[k]:
            continue
        row = one(errors, k)
        year = row_year(errors, col, k)
        if year is None:
            continue
        field = "community" if col["community"].iat[k] is not None else "community_id"
        community = community_of(col[field].iat[k], look, errors, k, col[field], field)
        if community is None:
            continue
        compound = _compound(col, k, community, state, errors)
        if errors.bad[k]:
            continue
        urgency = 2 if col["urgency"].iat[k] is None else urgency_of(str(col["urgency"].iat[k]))
        if urgency is None:
            errors.flag(row, "urgency", col["urgency"], "say 一般, 较急 or 紧急 (or 1, 2, 3)")
            continue
        due = "mid" if col["due"].iat[k] is None else DUE.get(str(col["due"].iat[k]).lower())
        if due is None:
            errors.flag(row, "due", col["due"], "say 年初, 年中 or 年末")
            continue
        title = str(col["title"].iat[k])
        key = (year, title, community)
        if not first_of_key(errors, col, k, state.seen, key):
            continue
        stored = stored_key(state.conn, "party_demand", year, title, community)
        category = category_of(col["category"].iat[k], look, errors, k, col["category"],
                               stored["category_id"] if stored else None)  # fmt: skip
        if category is None:
            continue
        if np.isfinite(lon[k]):
            here: tuple[float, float] = (float(lon[k]), float(lat[k]))
        elif compound is not None:
            here = (compound[1], compound[2])
            centred["compound"] += 1
        elif community in look.centres:
            here = look.centres[community]
            centred["community"] += 1
        else:
            errors.flag(
                row, "lon/lat", None, "no place: give 经度/纬度 (the community has no outline)"
            )
            continue
        state.seen[key] = int(errors.rows[k])
        day = raised.iat[k]
        if not isinstance(day, date):  # none given: as stored, else today (as entered by hand)
            day = stored["raised_on"] if stored else today()
        values = (year, title, category, community, compound and compound[0],
                  col["raised_by"].iat[k], day, urgency, due)  # fmt: skip
        for c, v in zip(COLUMNS, values, strict=True):
            out[c][k] = v
        out["lon"][k], out["lat"][k] = here
    for where, count in centred.items():
        if count:
            state.notes.append(
                f"{count} demands without 经度/纬度 placed at their {where}'s centre"
            )
    good = ~errors.bad
    frame = pd.DataFrame({"_row": chunk["_row"].to_numpy()[good]})
    for c, cells in out.items():
        frame[c] = pd.Series(cells, dtype=object).to_numpy()[good]
    return Checked(frame, errors.rejects, [])


def _compound(
    col: dict[str, pd.Series], k: int, community: int, state: ListState, errors: RowErrors
) -> tuple[int, float, float] | None:
    """The compound row ``k`` names within its community (id, centre), or None."""
    look, row = state.lookups, one(errors, k)
    name, given_id = col["compound"].iat[k], col["compound_id"].iat[k]
    if name is not None:
        found = look.compounds.get((community, str(name)))
        if found is None:
            errors.flag(
                row, "compound", col["compound"], "no compound of this name in the community"
            )
            return None
        return found
    if given_id is not None:
        wanted = number(given_id)
        match = [c for (cid, _), c in look.compounds.items() if cid == community and c[0] == wanted]
        if not match:
            errors.flag(
                row, "compound_id", col["compound_id"], "no compound with this id in the community"
            )
            return None
        return match[0]
    return None


DEMANDS = DemandLayer()
