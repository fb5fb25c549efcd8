"""Grid officers (网格员, full- or part-time) from a roster: who, which community and
grid, full- or part-time, their grid limit, when appointed and when they left.

The community and the grid are named by code or by name; a row naming only a grid
takes the grid's community. An officer is known by name and phone (upserted on
both). Once they land, the grids of the communities the file touches are covered
again (geo_api.assign.places.assign_grids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.assign.places import assign_grids
from geo_api.clock import today
from geo_api.importer.checks import Checked, RowErrors, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options, RosterSpec

FULL_TIME = {"专职", "全职", "full", "full-time", "fulltime", "否", "no", "n", "0", "false", ""}
PART_TIME = {"兼职", "part", "part-time", "parttime", "是", "yes", "y", "1", "true"}
MAX_GRIDS = 50
COLUMNS = ("name", "phone", "community_id", "grid_id", "max_grids", "part_time",
           "appointed_on", "left_on")  # fmt: skip


@dataclass
class OfficerState:
    """The store's communities and grids by code and name, and the file's memory."""

    communities: dict[str, int]
    grids: dict[str, tuple[int, int]]  # code or name -> (grid, its community)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (name, phone) -> row
    touched: set[int] = field(default_factory=set)  # communities whose grids change


class OfficerLayer(Layer[OfficerState]):
    """Grid officers (网格员)."""

    name = "officers"
    doc = "grid officers (网格员, full- or part-time): who, which community and grid, their limit"
    geometry = "none"
    required = frozenset({"name", "phone"})
    one_of = (frozenset({"community"}), frozenset({"grid"}))
    roster = RosterSpec(
        identity=("name", "phone"),
        label="name",
        retire="left_on = CAST(:today AS date), left_reason = :reason",
    )
    fields = (
        Field("name", "text", "the officer's name (personal data)",
              ("网格员", "网格员姓名", "网格长", "专职网格员")),
        Field("phone", "phone", "the officer's phone (personal data)"),
        Field("community", "text", "their community: its 12-digit code or its name",
              ("所属社区", "社区代码")),
        Field("grid", "text", "their own grid: its code or its name",
              ("网格", "所属网格", "网格名称", "网格编号", "网格代码", "责任网格")),
        Field("part_time", "yes/no", "part-time (兼职) or full-time (专职)",
              ("专职兼职", "专兼职", "是否兼职", "兼职", "岗位性质", "类别")),
        Field("max_grids", "whole number", "the most grids they cover (default 3)",
              ("最多网格数", "负责网格数上限", "网格上限")),
        Field("appointed_on", "date", "when they were appointed",
              ("任职日期", "任职时间", "上岗日期", "入职日期")),
        Field("left_on", "date", "when they left (离任); empty while they serve",
              ("离任日期", "离任时间", "离职日期")),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> OfficerState:
        """The store's communities and grids, by code and by name."""
        communities: dict[str, int] = {}
        for i, code, name in conn.execute(text("SELECT id, code, name FROM community")):
            communities.setdefault(name, int(i))
            communities[code] = int(i)
        grids: dict[str, tuple[int, int]] = {}
        for i, code, name, c in conn.execute(text("SELECT id, code, name, community_id FROM grid")):
            grids[code] = (int(i), int(c))
            grids.setdefault(f"{c}:{name}", (int(i), int(c)))  # names are unique per community
            grids.setdefault(name, (int(i), int(c)))
        return OfficerState(communities, grids)

    def check(
        self,
        chunk: pd.DataFrame,
        fields: dict[str, str],
        crs: SourceCRS | None,
        state: OfficerState,
    ) -> Checked:
        """Names, phones, places, flags, limits and dates of one chunk."""
        return check_officers(chunk, fields, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (name, phone); what the file gives may change."""
        given = [c for c in ("max_grids", "part_time", "appointed_on", "left_on") if c in fields]
        return [Landing("grid_officer", ("name", "phone"), COLUMNS,
                        ("community_id", "grid_id", *given))]  # fmt: skip

    def retired(self, conn: Connection, state: OfficerState, ids: list[int]) -> None:
        """Officers missing from a full roster left: their communities are covered again."""
        found = conn.execute(
            text("SELECT DISTINCT community_id FROM grid_officer WHERE id = ANY(:ids)"),
            {"ids": ids},
        ).scalars()
        state.touched.update(int(c) for c in found)

    def after(self, conn: Connection, state: OfficerState, options: Options) -> list[str]:
        """Cover the grids of the communities touched again."""
        if not state.touched:
            return []
        report = assign_grids(conn, state.touched)
        return [
            f"grids of {len(state.touched)} communities covered again: {report.own} by their "
            f"own officer, {report.nearest} by another, {report.uncovered} without "
            f"({report.changed} changed)"
        ]


OFFICERS = OfficerLayer()


def check_officers(chunk: pd.DataFrame, fields: dict[str, str], state: OfficerState) -> Checked:
    """Check one chunk of officers; ``state.seen`` spans the file."""
    errors = RowErrors(chunk["_row"])
    notes: list[str] = []
    col = {f: text_column(chunk, fields.get(f)) for f in (
        "name", "phone", "community", "grid", "part_time", "max_grids", "appointed_on",
        "left_on")}  # fmt: skip
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    errors.flag((name.fillna("").str.len() > 50).to_numpy(), "name", name, "longer than 50")
    errors.flag(col["phone"].isna().to_numpy(), "phone", None, "missing")
    phone = phones(col["phone"], errors, notes)
    named = pd.Series(
        [None if c is None else state.communities.get(c) for c in col["community"].tolist()],
        index=chunk.index, dtype=object,
    )  # fmt: skip
    errors.flag((col["community"].notna() & named.isna()).to_numpy(), "community",
                col["community"], "no such community (its 12-digit code or its name)")  # fmt: skip
    grid = [
        None if g is None else state.grids.get(f"{c}:{g}", state.grids.get(g))
        for g, c in zip(col["grid"].tolist(), named.tolist(), strict=True)
    ]
    errors.flag(np.array([g is not None and f is None for g, f in
                          zip(col["grid"].tolist(), grid, strict=True)]),
                "grid", col["grid"], "no such grid (its code or its name)")  # fmt: skip
    community = np.array([
        (g[1] if g else -1) if c is None else c for c, g in zip(named.tolist(), grid, strict=True)
    ], dtype=np.int64)  # fmt: skip
    grid_id = np.array([g[0] if g else -1 for g in grid], dtype=np.int64)
    elsewhere = np.array(
        [g is not None and g[1] != c for g, c in zip(grid, community, strict=True)]
    )
    errors.flag(elsewhere, "grid", col["grid"], "not a grid of the row's community")
    errors.flag(community < 0, "community", None, "missing: name the community or the grid")
    kind = col["part_time"].map(lambda v: "" if v is None else str(v).strip().lower())
    errors.flag((~kind.isin(FULL_TIME | PART_TIME)).to_numpy(), "part_time", col["part_time"],
                "say 专职 or 兼职 (full-time, part-time; 是/否)")  # fmt: skip
    most = pd.to_numeric(col["max_grids"], errors="coerce")
    bad_most = col["max_grids"].notna() & ~(most.between(1, MAX_GRIDS) & (most % 1 == 0))
    errors.flag(
        bad_most.to_numpy(), "max_grids", col["max_grids"], f"a whole number 1 to {MAX_GRIDS}"
    )
    appointed = dates(col["appointed_on"], errors, "appointed_on")
    left = dates(col["left_on"], errors, "left_on")
    now = today()
    future = appointed.map(lambda d: isinstance(d, date) and d > now).to_numpy(dtype=bool)
    errors.flag(future, "appointed_on", col["appointed_on"], "in the future")
    before = np.array([isinstance(a, date) and isinstance(b, date) and b < a
                       for a, b in zip(appointed, left, strict=True)])  # fmt: skip
    errors.flag(before, "left_on", col["left_on"], "before the appointment")
    for k, key in enumerate(zip(name.tolist(), phone.tolist(), strict=True)):
        if not errors.bad[k]:
            if key in state.seen:
                errors.flag(np.arange(len(name)) == k, "phone", col["phone"],
                            f"the same officer as row {state.seen[key]}")  # fmt: skip
            else:
                state.seen[key] = int(errors.rows[k])
    good = ~errors.bad
    state.touched.update(int(c) for c in community[good])
    frame = pd.DataFrame({
        "_row": chunk["_row"].to_numpy()[good],
        "name": name.to_numpy()[good],
        "phone": phone.to_numpy()[good],
        "community_id": community[good],
        "grid_id": pd.array(grid_id[good], dtype="Int64"),
        "max_grids": pd.array(most.fillna(3).to_numpy()[good].astype(int), dtype="Int64"),
        "part_time": kind.isin(PART_TIME).to_numpy()[good],
        "appointed_on": appointed.to_numpy()[good],
        "left_on": left.to_numpy()[good],
    })  # fmt: skip
    frame.loc[frame["grid_id"] < 0, "grid_id"] = pd.NA  # no grid of their own
    return Checked(gpd.GeoDataFrame(frame), errors.rejects, notes)
