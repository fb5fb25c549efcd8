"""Alliance units (联盟单位) from the spreadsheets streets and communities keep: a name,
a type (党政机关, 国有企业, 学校 ...), an address, a liaison and their phone, a place,
and the street or community the unit signed with and when (签约日期). Upserted on the
unit's name; a row naming a street or community code and a date makes the
agreement, unless one is in force there already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds, point_coordinates
from geo_api.importer.stations import communities

KINDS = {
    "党政机关": "government", "机关": "government", "政府机关": "government",
    "事业单位": "institution", "国有企业": "state_firm", "国企": "state_firm",
    "非公企业": "private_firm", "民营企业": "private_firm", "私营企业": "private_firm",
    "企业": "private_firm", "学校": "school", "医院": "hospital", "金融机构": "bank",
    "银行": "bank", "社会组织": "social_org", "协会": "social_org", "其他": "other",
}  # fmt: skip
ENGLISH = ("government", "institution", "state_firm", "private_firm", "school", "hospital",
           "bank", "social_org", "other")  # fmt: skip
COLUMNS = ("name", "kind", "address", "contact_name", "contact_phone", "geom")


@dataclass
class UnitState:
    """One import's lookups, the names seen, and the agreements to make."""

    conn: Connection
    bounds: Bounds | None
    places: dict[str, dict[str, tuple[int | None, int]]]
    seen: dict[str, int] = field(default_factory=dict)
    signed: list[tuple[str, int | None, int | None, date]] = field(default_factory=list)


def kind_of(value: str) -> str | None:
    """The unit kind a cell says (Chinese or English), or None."""
    key = value.strip().lower()
    return key if key in ENGLISH else KINDS.get(value.strip())


class AllianceUnitLayer(Layer[UnitState]):
    """Alliance units and the agreements they signed."""

    name = "alliance_units"
    doc = "alliance units (联盟单位): organisations, their liaison, and their agreements"
    geometry = "points or none"
    required = frozenset({"name", "kind"})
    fields = (
        Field("name", "text", "the unit's name, unique", ("单位名称", "单位", "联盟单位")),
        Field(
            "kind",
            "unit kind",
            "党政机关, 事业单位, 国有企业, 非公企业, 学校, 医院, 金融机构, "
            "社会组织 (or government, state_firm ...)",
            ("单位类型", "单位性质", "类别"),
        ),
        Field("address", "text", "where the unit is (optional)"),
        Field("contact_name", "text", "the liaison (personal data)", ("联系人", "负责人")),
        Field("phone", "phone", "the liaison's phone", ("联系电话", "联系方式", "电话")),
        Field(
            "signed_on",
            "date",
            "when it signed (with a street or community code)",
            ("签约日期", "签约时间", "签订日期"),
        ),
        Field("street_code", "code", "the street it signed with"),
        Field("community_code", "code", "the community it signed with"),
        Field("lon", "number", "longitude"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
    )

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> UnitState:
        """Streets and communities by code, the city's extent."""
        return UnitState(conn, city_bounds(conn), communities(conn))

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: UnitState
    ) -> Checked:
        """Names, kinds, phones, dates, places and points of one chunk."""
        return check_units(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on the name; a re-import changes only the columns the file gives."""
        changed: list[str] = [c for c in ("kind", "address", "contact_name") if c in fields]
        if "phone" in fields:
            changed.append("contact_phone")
        if located:
            changed.append("geom")
        return [Landing("alliance_unit", ("name",), COLUMNS, tuple(changed))]

    def after(self, conn: Connection, state: UnitState, options: Options) -> list[str]:
        """The agreements the rows name, where none is in force already."""
        made = 0
        for name, street, community, day in state.signed:
            made += conn.execute(
                text("""INSERT INTO alliance_agreement (unit_id, street_id, community_id, signed_on)
                        SELECT u.id, :s, :c, :d FROM alliance_unit u WHERE u.name = :n
                        AND NOT EXISTS (SELECT 1 FROM alliance_agreement a WHERE a.unit_id = u.id
                            AND a.street_id IS NOT DISTINCT FROM :s
                            AND a.community_id IS NOT DISTINCT FROM :c
                            AND (a.ended_on IS NULL OR a.ended_on > :d))"""),
                {"n": name, "s": street, "c": community, "d": day},
            ).rowcount
        return [f"{made} agreements signed"] if made else []


def check_units(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: UnitState
) -> Checked:
    """Check one chunk of units; ``state.seen`` (name -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    names = ("name", "kind", "address", "contact_name", "phone", "signed_on",
             "street_code", "community_code", "lon", "lat", "crs")  # fmt: skip
    col = {f: text_column(chunk, fields.get(f)) for f in names}
    if "crs" not in fields:
        del col["crs"]
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    for k, value in enumerate(name.tolist()):
        if value is not None and not errors.bad[k]:
            if value in state.seen:
                errors.flag(np.arange(len(name)) == k, "name", name,
                            f"duplicate: row {state.seen[value]}")  # fmt: skip
            else:
                state.seen[value] = int(errors.rows[k])
    kind = col["kind"].map(lambda v: None if v is None else kind_of(str(v)))
    say = "say 党政机关, 事业单位, 国有企业, 非公企业, 学校, 医院, 金融机构 or 社会组织"
    errors.flag(kind.isna().to_numpy(), "kind", col["kind"], say)
    flags: list[str] = []
    phone = phones(col["phone"].rename(fields.get("phone", "phone")),
                   errors, flags)  # fmt: skip
    signed = dates(col["signed_on"], errors, "signed_on")
    street = col["street_code"].map(lambda c: None if c is None else state.places["street"].get(c))
    community = col["community_code"].map(
        lambda c: None if c is None else state.places["community"].get(c)
    )
    for what, place in (("street", street), ("community", community)):
        code = col[f"{what}_code"]
        errors.flag((code.notna() & place.isna()).to_numpy(), f"{what}_code", code,
                    f"no {what} with this code in the store")  # fmt: skip
    both = (col["street_code"].notna() & col["community_code"].notna()).to_numpy()
    errors.flag(both, "street_code", None, "an agreement is with a street or a community, not both")
    lon, lat = point_coordinates(chunk, col, crs, state.bounds, errors)
    good = ~errors.bad
    streets, communities_at = street.tolist(), community.tolist()
    for k in np.flatnonzero(good).tolist():
        day: object = signed.iat[k]
        at_street: tuple[int | None, int] | None = streets[k]
        at_community: tuple[int | None, int] | None = communities_at[k]
        if isinstance(day, date) and (at_street or at_community):
            state.signed.append(
                (
                    str(name.iat[k]),
                    at_street[1] if at_street else None,
                    at_community[0] if at_community else None,
                    day,
                )
            )
    points = [shapely.Point(x, y) if np.isfinite(x) else None
              for x, y in zip(lon[good], lat[good], strict=True)]  # fmt: skip
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "name": name.to_numpy()[good],
            "kind": kind.to_numpy()[good],
            "address": col["address"].to_numpy()[good],
            "contact_name": col["contact_name"].to_numpy()[good],
            "contact_phone": phone.to_numpy()[good],
        },
        geometry=gpd.GeoSeries(points, crs=4326),
        crs=4326,
    )
    return Checked(frame, errors.rejects, flags)


ALLIANCE_UNITS = AllianceUnitLayer()
