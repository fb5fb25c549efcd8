"""Registered party members (报到党员) from a register: name, phone, where they live,
serving or retired, where they work and when they left.

A member is known by name and phone (upserted on both). Their workplace unit is an
alliance unit named as the lists name it (by name, or its id); an unknown one is
rejected naming row and column. Where they live is a
point (lon/lat or the file's geometry) or a written address; the assignment
run's placement (geo_api.assign.members) turns either into their community,
so imported members start unplaced. Phones are checked as Chinese numbers:
11-digit mobiles (1[3-9]…) or landlines with their area code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options, RosterSpec
from geo_api.importer.party_rows import number
from geo_api.importer.points import Bounds, city_bounds, point_coordinates
from geo_api.rosters.members import STATUSES

CHINA = ZoneInfo("Asia/Shanghai")
COLUMNS = ("name", "phone", "address", "registered_on", "status", "workplace",
           "workplace_unit_id", "left_on", "placed_by", "geom")  # fmt: skip
# A file's field -> the member's column it changes on a re-import.
CHANGES = {"address": "address", "registered_on": "registered_on", "status": "status",
           "workplace": "workplace", "workplace_unit": "workplace_unit_id",
           "left_on": "left_on"}  # fmt: skip


@dataclass
class MemberState:
    """One import's lookups and memory."""

    bounds: Bounds | None
    units: dict[str, int] = field(default_factory=dict)  # alliance unit name and id -> id
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (name, phone) -> row


class MemberLayer(Layer[MemberState]):
    """Registered party members (报到党员)."""

    name = "members"
    doc = "registered party members (报到党员): name, phone, where they live"
    geometry = "points or none"
    roster = RosterSpec(
        identity=("name", "phone"),
        label="name",
        retire="left_on = CAST(:today AS date), left_reason = :reason",
    )
    required = frozenset({"name", "phone"})
    one_of = (frozenset({"lon", "lat"}), frozenset({"address"}))
    fields = (
        Field("name", "text", "the member's name (personal data)"),
        Field("phone", "phone", "the member's phone (personal data)"),
        Field("address", "text", "where they live"),
        Field("lon", "number", "longitude of their home"),
        Field("lat", "number", "latitude of their home"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
        Field(
            "registered_on",
            "date",
            "when they registered with the community (today if absent)",
            ("报到日期", "报到时间", "registered_on", "registered"),
        ),
        Field("status", "text", "serving (在职) or retired (离退休); serving if absent",
              ("状态", "党员类别", "在职/离退休", "status")),
        Field("workplace", "text", "where a serving member works", ("工作单位", "workplace")),
        Field("workplace_unit", "text",
              "their workplace among the alliance units, by name or id (optional)",
              ("所在联盟单位", "联盟单位", "workplace_unit")),
        Field("left_on", "date", "the day they left the community (moved, transferred)",
              ("离开日期", "离开时间", "left_on")),
    )  # fmt: skip

    def warnings(self, fields: dict[str, str]) -> list[str]:
        """No registration dates: registered today."""
        if "registered_on" not in fields:
            return ["no registration date column: every member registered today"]
        return []

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> MemberState:
        """The city's extent and the alliance units by name and id."""
        units: dict[str, int] = {}
        if "workplace_unit" in fields:
            for r in conn.execute(text("SELECT id, name FROM alliance_unit")):
                units[str(r.name).strip()] = int(r.id)
                units.setdefault(str(r.id), int(r.id))
        return MemberState(city_bounds(conn), units)

    def check(
        self,
        chunk: pd.DataFrame,
        fields: dict[str, str],
        crs: SourceCRS | None,
        state: MemberState,
    ) -> Checked:
        """Names, phones, dates and homes of one chunk."""
        return check_members(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (name, phone); a member that changes is placed again by the next run."""
        changed: list[str] = [column for f, column in CHANGES.items() if f in fields]
        if located:
            changed.append("geom")
        return [Landing("member", ("name", "phone"), COLUMNS, tuple(changed), reset=("placed_by",))]

    def after(self, conn: Connection, state: MemberState, options: Options) -> list[str]:
        """Members are placed in a community by the assignment run."""
        return ["members are placed in their community by the next gridgov assign"]


MEMBERS = MemberLayer()


def check_members(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: MemberState
) -> Checked:
    """Check one chunk of members; ``state.seen`` ((name, phone) -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {
        f: text_column(chunk, fields.get(f))
        for f in ("name", "phone", "address", "registered_on", "lon", "lat", "crs",
                  "status", "workplace", "workplace_unit", "left_on")
    }  # fmt: skip
    if "crs" not in fields:
        del col["crs"]
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    errors.flag((name.fillna("").str.len() > 50).to_numpy(), "name", name, "longer than 50")
    errors.flag(col["phone"].isna().to_numpy(), "phone", None, "missing")
    flags: list[str] = []
    phone = phones(col["phone"], errors, flags)
    when = dates(col["registered_on"], errors, "registered_on")
    today = datetime.now(CHINA).date()
    if "registered_on" in fields:
        errors.flag(col["registered_on"].isna().to_numpy(), "registered_on", None, "missing")
    future = when.map(lambda d: isinstance(d, date) and d > today).to_numpy(dtype=bool)
    errors.flag(future, "registered_on", col["registered_on"], "in the future")
    status = col["status"].map(lambda v: None if v is None else STATUSES.get(str(v).lower()))
    errors.flag((col["status"].notna() & status.isna()).to_numpy(), "status", col["status"],
                "say serving (在职) or retired (离退休)")  # fmt: skip
    errors.flag((col["workplace"].fillna("").str.len() > 200).to_numpy(), "workplace",
                col["workplace"], "longer than 200")  # fmt: skip
    unit = col["workplace_unit"].map(lambda v: None if v is None else _unit(v, state))
    errors.flag((col["workplace_unit"].notna() & unit.isna()).to_numpy(), "workplace_unit",
                col["workplace_unit"], "no alliance unit of this name or id "
                "(gridgov import alliance_units)")  # fmt: skip
    left = dates(col["left_on"], errors, "left_on")
    early = [isinstance(g, date) and isinstance(w, date) and g < w
             for g, w in zip(left.tolist(), when.tolist(), strict=True)]  # fmt: skip
    errors.flag(np.array(early, dtype=bool), "left_on", col["left_on"], "before registered_on")
    for k, key in enumerate(zip(name.tolist(), phone.tolist(), strict=True)):
        if not errors.bad[k]:
            if key in state.seen:
                mask = np.arange(len(name)) == k
                errors.flag(
                    mask, "phone", col["phone"], f"the same member as row {state.seen[key]}"
                )
            else:
                state.seen[key] = int(errors.rows[k])
    lon, lat = point_coordinates(chunk, col, crs, state.bounds, errors)
    nowhere = ~np.isfinite(lon) & col["address"].isna().to_numpy()
    errors.flag(nowhere, "address", None, "no address and no point: where does the member live?")
    good = ~errors.bad
    registered = when.map(lambda d: d if isinstance(d, date) else today)  # none: today
    points = [
        shapely.Point(x, y) if np.isfinite(x) else None
        for x, y in zip(lon[good], lat[good], strict=True)
    ]
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "name": name.to_numpy()[good],
            "phone": phone.to_numpy()[good],
            "address": col["address"].to_numpy()[good],
            "registered_on": registered.to_numpy()[good],
            "status": status.fillna("serving").to_numpy()[good],
            "workplace": col["workplace"].to_numpy()[good],
            "workplace_unit_id": unit.astype(object).to_numpy()[good],
            "left_on": left.astype(object).to_numpy()[good],
            "placed_by": [None] * int(good.sum()),
        },
        geometry=gpd.GeoSeries(points, crs=4326),
        crs=4326,
    )
    return Checked(frame, errors.rejects, flags)


def _unit(value: object, state: MemberState) -> int | None:
    """The alliance unit a cell names, by name or by id (None: no such unit)."""
    found = state.units.get(str(value).strip())
    if found is None:
        wanted = number(value)
        if wanted is not None and wanted.is_integer():
            found = state.units.get(str(int(wanted)))
    return found
