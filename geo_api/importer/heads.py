"""The three heads (三长) from a roster: who, where they live, what they serve.

A head lives in a household, named by its address (parsed like a register's,
so the households must be imported first). What they serve is their role's
place: the unit, building or compound named by the row's compound, building
and unit columns, or, when the row names none, their own home's. Unit heads
without a capacity follow their community's; building and compound heads get
HEAD_DEFAULTS when the roster gives none (said in the notes). Upserted on
(role, place, household): one head per household and place.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.address import parse_address
from geo_api.importer.checks import Checked, RowErrors, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.households import Homes, _number, _place, _room, building_keys
from geo_api.importer.layer import Field, Landing, Layer, Options

ROLES = {
    "unit": "unit", "单元长": "unit", "联户长": "unit", "楼道长": "unit",
    "building": "building", "楼长": "building", "楼栋长": "building", "片长": "building",
    "compound": "compound", "小区长": "compound", "院落长": "compound",
}  # fmt: skip
HEAD_DEFAULTS = {"building": (400, 600), "compound": (3000, 5000)}
PLACE_OF = {"unit": "unit_id", "building": "building_id", "compound": "compound_id"}
COLUMNS = [
    "role", "name", "phone", "household_id", "unit_id", "building_id", "compound_id",
    "capacity", "max_capacity",
]  # fmt: skip
UNITS_SQL = (
    "SELECT u.id, u.building_id, b.compound_id FROM unit u JOIN building b ON b.id = u.building_id"
)
HOUSEHOLDS_SQL = "SELECT unit_id, room, id FROM household WHERE ended_on IS NULL ORDER BY id"


class Roster:
    """What placing heads needs beyond Homes: households by (unit, room), unit parents,
    and the heads seen so far in the file."""

    def __init__(self, conn: Connection) -> None:
        self.homes = Homes.load(conn)
        # A room of several households (分户) is the head's home through its first one.
        self.households: dict[tuple[int, str], int] = {}
        for u, r, i in conn.execute(text(HOUSEHOLDS_SQL)):
            self.households.setdefault((int(u), str(r)), int(i))
        self.parents = {int(u): (int(b), int(c)) for u, b, c in conn.execute(text(UNITS_SQL))}
        self.seen: dict[tuple[str, int, int], int] = {}
        self.defaults: dict[str, int] = {}


class HeadLayer(Layer[Roster]):
    """The three heads (三长) from a roster."""

    name = "heads"
    doc = (
        "the three heads (三长): who, where they live, which unit, building or compound they serve"
    )
    geometry = "none"
    required = frozenset({"role", "name", "phone"})
    one_of = (frozenset({"household_address"}), frozenset({"address"}))
    fields = (
        Field("role", "role", "unit, building or compound (单元长, 楼长, 小区长 ...)"),
        Field("name", "text", "the head's name (personal data)",
              ("三长姓名", "楼长姓名", "单元长姓名")),
        Field("phone", "phone", "the head's phone (personal data)"),
        Field("address", "text", "where the head lives: a household's address"),
        Field("household_address", "text", "the same, when the file has both columns"),
        Field("compound", "text", "the compound served (else the head's own)"),
        Field("building", "whole number", "the building served (else the head's own)"),
        Field("unit", "whole number", "the unit served (else the head's own)"),
        Field("capacity", "whole number", "households the head is meant to cover"),
        Field("max_capacity", "whole number", "the most households the head may cover"),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> Roster:
        """Homes, households and units of the store."""
        return Roster(conn)

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: Roster
    ) -> Checked:
        """Roles, people, homes and places of one chunk."""
        return check_heads(chunk, fields, state, state.seen)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """One landing per role: each has its own partial unique index."""
        updates = ("name", "phone", *(c for c in ("capacity", "max_capacity") if c in fields))
        return [
            Landing("head", (place, "household_id"), tuple(COLUMNS), updates,
                    where=f"role = '{role}' AND left_on IS NULL", part=("role", role))
            for role, place in PLACE_OF.items()
        ]  # fmt: skip


HEADS = HeadLayer()


def check_heads(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    roster: Roster,
    seen: dict[tuple[str, int, int], int],
) -> Checked:
    """Check one chunk of heads; ``seen`` ((role, place, household) -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    notes: list[str] = []
    col = {f: text_column(chunk, fields.get(f)) for f in (
        "role", "name", "phone", "address", "household_address", "compound", "building", "unit",
        "capacity", "max_capacity")}  # fmt: skip
    role = col["role"].map(lambda r: None if r is None else ROLES.get(str(r).strip().lower()))
    errors.flag(role.isna().to_numpy(), "role", col["role"], f"say one of {', '.join(ROLES)}")
    errors.flag(col["name"].isna().to_numpy(), "name", None, "missing")
    errors.flag(col["phone"].isna().to_numpy(), "phone", None, "missing")
    phone = phones(col["phone"], errors, notes)
    # Where they live: a household of the store, by its address.
    address = col["household_address"].where(col["household_address"].notna(), col["address"])
    errors.flag(address.isna().to_numpy(), "address", None, "missing: where does the head live?")
    parsed = [parse_address(a) if a else None for a in address]
    part = {k: pd.Series([getattr(p, k) if p else None for p in parsed], dtype=object)
            for k in ("compound", "community", "building", "unit", "room")}  # fmt: skip
    labels = pd.Series([p.building_label if p else None for p in parsed], dtype=object)
    home_building = building_keys(part["building"], labels, errors, "address")
    home_unit, _ = _place(
        part["compound"], part["community"], home_building,
        _number(part["unit"], errors, "address", 1, 99), roster.homes, errors,
    )  # fmt: skip
    household = np.array([
        roster.households.get((int(u), _room(str(r)))) or -1 if u >= 0 and r else -1
        for u, r in zip(home_unit.tolist(), part["room"].tolist(), strict=True)
    ], dtype=np.int64)  # fmt: skip
    errors.flag(household < 0, "address", address, "no household at this address: import it first")
    # What they serve: the named place, else their own home's.
    # A building (compound) head's place is found through its first unit (building).
    named = col["compound"].notna().to_numpy()
    building = col["building"].where(named, part["building"])
    unit = col["unit"].where(named, part["unit"])
    building = building.where(~((role == "compound") & building.isna()), "1")
    unit = unit.where(~(role.isin(["building", "compound"]) & unit.isna()), "1")
    served_unit, _ = _place(
        col["compound"].where(named, part["compound"]), pd.Series([None] * len(chunk)),
        building_keys(building, labels.where(~named & building.notna(), None), errors),
        _number(unit, errors, "unit", 1, 99), roster.homes, errors,
    )  # fmt: skip
    place = np.array([
        -1 if u < 0 or r is None else
        {"unit": u, "building": roster.parents[u][0], "compound": roster.parents[u][1]}[r]
        for u, r in zip(served_unit.tolist(), role.tolist(), strict=True)
    ], dtype=np.int64)  # fmt: skip
    for k, key in enumerate(zip(role.tolist(), place.tolist(), household.tolist(), strict=True)):
        if not errors.bad[k]:
            if key in seen:
                errors.flag(np.arange(len(role)) == k, "name", col["name"],
                            f"the same head as row {seen[key]}")  # fmt: skip
            else:
                seen[key] = int(errors.rows[k])
    capacity = _number(col["capacity"], errors, "capacity", 1, 100_000)
    maximum = _number(col["max_capacity"], errors, "max_capacity", 1, 100_000)
    for r, (target, most) in HEAD_DEFAULTS.items():
        missing = (role == r) & (capacity.isna() | maximum.isna())
        if missing.any():
            notes.append(f"{int(missing.sum())} {r} heads without capacity: {target}/{most}")
            capacity = capacity.where(~missing, target)
            maximum = maximum.where(~missing, most)
    good = ~errors.bad
    frame = pd.DataFrame({"_row": chunk["_row"].to_numpy()[good], "role": role.to_numpy()[good],
                          "name": col["name"].to_numpy()[good],
                          "phone": phone.to_numpy()[good],
                          "household_id": household[good]})  # fmt: skip
    for r, column in PLACE_OF.items():
        frame[column] = pd.array(np.where(frame["role"] == r, place[good], -1), dtype="Int64")
        frame.loc[frame["role"] != r, column] = pd.NA
    frame["capacity"] = pd.array(capacity.to_numpy()[good], dtype="Int64")
    frame["max_capacity"] = pd.array(maximum.to_numpy()[good], dtype="Int64")
    return Checked(gpd.GeoDataFrame(frame), errors.rejects, notes)
