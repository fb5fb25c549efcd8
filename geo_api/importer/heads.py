"""The three heads (三长) from a roster: who, where they live, what they serve.

A head lives in a household, named by its address (parsed like a register's,
so the households must be imported first). What they serve is their role's
place: the unit, building or compound named by the row's compound, building
and unit columns, or, when the row names none, their own home's. Unit heads
without a capacity follow their community's; building and compound heads get
HEAD_DEFAULTS when the roster gives none (said in the notes). Upserted on
(role, place, household): one serving head per household and place.

A row with ``left_on`` (or ``retired`` yes) ends that serving head's term
instead (geo_api.rosters.heads.retire, left_on today when only ``retired`` is
given); the communities of the heads retired are re-assigned once, at the end.
A retired head already on record with that date is left unchanged.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.address import parse_address
from geo_api.importer.checks import Checked, RowErrors, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.households import (
    FALSE,
    TRUE,
    Homes,
    _number,
    _place,
    _room,
    building_keys,
)
from geo_api.importer.layer import Field, Landing, Layer, Options, RosterSpec

ROLES = {
    "unit": "unit", "单元长": "unit", "联户长": "unit", "楼道长": "unit",
    "building": "building", "楼长": "building", "楼栋长": "building", "片长": "building",
    "compound": "compound", "小区长": "compound", "院落长": "compound",
}  # fmt: skip
HEAD_DEFAULTS = {"building": (400, 600), "compound": (3000, 5000)}
PLACE_OF = {"unit": "unit_id", "building": "building_id", "compound": "compound_id"}
COLUMNS = [
    "role", "name", "phone", "household_id", "unit_id", "building_id", "compound_id",
    "capacity", "max_capacity", "consent_public",
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
        # Communities of heads a full roster retired: re-assigned with the file's own.
        self.touched: list[int] = []
        self.defaults: dict[str, int] = {}
        # Rows that retire a head: (row, role, place, household, left_on or None: today).
        self.retiring: list[tuple[int, str, int, int, object]] = []


class HeadLayer(Layer[Roster]):
    """The three heads (三长) from a roster."""

    name = "heads"
    doc = (
        "the three heads (三长): who, where they live, which unit, building or compound they serve"
    )
    geometry = "none"
    # A head missing from a full roster steps down today (the heads domain's left_on).
    roster = RosterSpec(
        identity=("role", "unit_id", "building_id", "compound_id", "household_id"),
        label="name",
        retire=None,  # through the heads' domain (retired below): terms, locks, history
    )
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
        Field("consent_public", "yes/no",
              "agreed to be named with their phone on the placards (是/否; default 否)",
              ("同意公示", "是否同意公示", "公示", "consent")),
        Field("left_on", "date", "the day the head stepped down: ends their term",
              ("卸任日期", "离任日期")),
        Field("retired", "yes/no", "the head stepped down (是/否); left_on today if not given",
              ("已卸任", "是否卸任")),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> Roster:
        """Homes, households and units of the store."""
        return Roster(conn)

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: Roster
    ) -> Checked:
        """Roles, people, homes and places of one chunk."""
        return check_heads(chunk, fields, state, state.seen)

    def retired(self, conn: Connection, state: Roster, ids: list[int]) -> None:
        """Heads missing from a full roster step down as any head does (their terms
        end; their households are re-assigned with the file's retired rows, in after)."""
        from geo_api.importer.diff import NOT_IN_ROSTER
        from geo_api.rosters.heads import retire

        for head in ids:
            change = retire(conn, head, by="import", reason=NOT_IN_ROSTER, reassign_now=False)
            state.touched += change.communities

    def after(self, conn: Connection, state: Roster, options: Options) -> list[str]:
        """End the terms the file's retired rows name; re-assign their communities once."""
        return retire_rows(conn, state.retiring, state.touched)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """One landing per role: each has its own partial unique index."""
        # A roster without the consent column leaves what was recorded (PUT .../consent).
        kept = ("capacity", "max_capacity", "consent_public")
        updates = ("name", "phone", *(c for c in kept if c in fields))
        return [
            Landing("head", (place, "household_id"), tuple(COLUMNS), updates,
                    where=f"role = '{role}' AND left_on IS NULL", part=("_lands", role))
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
        "capacity", "max_capacity", "consent_public", "left_on", "retired")}  # fmt: skip
    left_on = dates(col["left_on"], errors, "left_on")
    said = col["retired"].map(lambda v: "" if v is None else str(v).strip().lower())
    errors.flag((~said.isin(TRUE | FALSE)).to_numpy(), "retired", col["retired"],
                "say yes or no (是/否)")  # fmt: skip
    retiring = (said.isin(TRUE) | left_on.notna()).to_numpy()
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
    consent = col["consent_public"].map(lambda v: "" if v is None else str(v).strip().lower())
    errors.flag((~consent.isin(TRUE | FALSE)).to_numpy(), "consent_public",
                col["consent_public"], "say 是/否, yes/no, true/false or 1/0")  # fmt: skip
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
    # A retiring row lands nowhere: after() ends the serving head's term.
    frame["_lands"] = np.where(retiring[good], "", frame["role"].to_numpy())
    frame["_after"] = retiring[good]
    for k in np.flatnonzero(good & retiring).tolist():
        roster.retiring.append((int(errors.rows[k]), str(role.iloc[k]), int(place[k]),
                                int(household[k]), left_on.iloc[k]))  # fmt: skip
    frame["capacity"] = pd.array(capacity.to_numpy()[good], dtype="Int64")
    frame["max_capacity"] = pd.array(maximum.to_numpy()[good], dtype="Int64")
    frame["consent_public"] = consent.isin(TRUE).to_numpy()[good]
    return Checked(gpd.GeoDataFrame(frame), errors.rejects, notes)


def retire_rows(
    conn: Connection, rows: list[tuple[int, str, int, int, object]], touched: list[int]
) -> list[str]:
    """End the terms of the serving heads the rows name, and re-assign their communities
    with ``touched`` (those of heads already retired); a head already retired on that
    date is unchanged, a row naming no head is refused with its row number."""
    from datetime import date

    from geo_api.errors import InvalidInputError
    from geo_api.rosters.change import Change, reassign
    from geo_api.rosters.heads import retire

    touched = list(touched)
    retired = 0
    for row, role, place, household, day in rows:
        found = conn.execute(
            text(
                f"SELECT id, left_on FROM head WHERE role = :role AND {PLACE_OF[role]} = :place "  # noqa: S608
                "AND household_id = :h ORDER BY left_on IS NULL DESC, id DESC LIMIT 1"
            ),
            {"role": role, "place": place, "h": household},
        ).first()
        if found is None:
            raise InvalidInputError(f"row {row}: no such {role} head on record to retire")
        if found.left_on is not None:
            if day is None or found.left_on == day:
                continue  # already retired as the file says
            raise InvalidInputError(
                f"row {row}: head {found.id} already stepped down on {found.left_on}, not {day}"
            )
        when = day if isinstance(day, date) else None
        change = retire(conn, found.id, by="import", reason="roster import", on=when,
                        reassign_now=False)  # fmt: skip
        touched += change.communities
        retired += 1
    if not touched:
        return []
    run = reassign(conn, Change("retired"), touched).run
    churn = f"; {run.moved} households moved, {run.dropped} left without" if run else ""
    return [f"{retired} heads stepped down; {len(set(touched))} communities re-assigned{churn}"]
