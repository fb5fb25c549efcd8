"""Party-mass service stations (党群服务中心/站/驿站): points with a tier and a floor area.

The tier is city, street, community or outpost, in English or Chinese (市级,
街道, 社区, 驿站 …). A station names the community it serves by its 12-digit
code (outposts and community stations need one; the street follows from it),
or, for a street centre, its street by its 9-digit code.
Upserted on the station's name, which is unique.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.households import Bounds, point_coordinates

TIERS = {
    "city": "city", "市": "city", "市级": "city", "市党群服务中心": "city",
    "street": "street", "街道": "street", "街道级": "street", "镇": "street",
    "community": "community", "社区": "community", "社区级": "community",
    "outpost": "outpost", "驿站": "outpost", "党群驿站": "outpost", "网格": "outpost",
}  # fmt: skip
NEEDS_COMMUNITY = {"community", "outpost"}
UPSERT = (
    "station",
    ["name"],
    ["name", "tier", "street_id", "community_id", "floor_area_m2", "hours", "geom"],
    ["tier", "street_id", "community_id", "floor_area_m2", "hours", "geom"],
)


def communities(conn: Connection) -> dict[str, dict[str, tuple[int | None, int]]]:
    """By kind ("community", "street"): code -> (community id or None, street id)."""
    places: dict[str, dict[str, tuple[int | None, int]]] = {"community": {}, "street": {}}
    for code, c, s in conn.execute(text("SELECT code, id, street_id FROM community")):
        places["community"][str(code)] = (int(c), int(s))
    for code, s in conn.execute(text("SELECT code, id FROM street")):
        places["street"][str(code)] = (None, int(s))
    return places


def updates(fields: dict[str, str]) -> list[str]:
    """The columns a re-import may change: only those the file gives."""
    given = {
        "tier": "tier" in fields,
        "street_id": "street_code" in fields or "community_code" in fields,
        "community_id": "community_code" in fields,
        "floor_area_m2": "floor_area_m2" in fields,
        "hours": "hours" in fields,
        "geom": True,
    }
    return [column for column, present in given.items() if present]


def check_stations(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    crs: SourceCRS | None,
    bounds: Bounds | None,
    places: dict[str, dict[str, tuple[int | None, int]]],
    seen: dict[str, int],
) -> Checked:
    """Check one chunk of stations; ``seen`` (name -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in (
        "name", "tier", "floor_area_m2", "hours", "community_code", "street_code", "lon", "lat",
    )}  # fmt: skip
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    for k, value in enumerate(name.tolist()):
        if value is not None and not errors.bad[k]:
            if value in seen:
                errors.flag(
                    np.arange(len(name)) == k, "name", name, f"duplicate: row {seen[value]}"
                )
            else:
                seen[value] = int(errors.rows[k])
    tier = col["tier"].map(lambda t: None if t is None else TIERS.get(str(t).strip().lower()))
    errors.flag(tier.isna().to_numpy(), "tier", col["tier"], f"say one of {', '.join(TIERS)}")
    area = pd.to_numeric(col["floor_area_m2"].str.replace("㎡", "").str.replace("m²", ""),
                         errors="coerce")  # fmt: skip
    errors.flag((area.isna() | (area <= 0)).to_numpy(), "floor_area_m2", col["floor_area_m2"],
                "a floor area in m², above 0")  # fmt: skip
    place = col["community_code"].map(lambda c: None if c is None else places["community"].get(c))
    unknown = col["community_code"].notna() & place.isna()
    errors.flag(unknown.to_numpy(), "community_code", col["community_code"],
                "no community with this code in the store")  # fmt: skip
    street = col["street_code"].map(lambda c: None if c is None else places["street"].get(c))
    errors.flag((col["street_code"].notna() & street.isna()).to_numpy(), "street_code",
                col["street_code"], "no street with this code in the store")  # fmt: skip
    place = place.where(place.notna(), street)
    needs = (tier.isin(NEEDS_COMMUNITY) & col["community_code"].isna()).to_numpy()
    errors.flag(needs, "community_code", None, "a community station or outpost needs its community")
    lon, lat = point_coordinates(chunk, col, crs, bounds, errors)
    errors.flag(~np.isfinite(lon), "lon/lat", None, "a station needs its location")
    good = ~errors.bad
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "name": name.to_numpy()[good],
            "tier": tier.to_numpy()[good],
            "street_id": pd.array([p[1] if p else None for p in place[good]], dtype="Int64"),
            "community_id": pd.array([p[0] if p else None for p in place[good]], dtype="Int64"),
            "floor_area_m2": area.to_numpy()[good],
            "hours": col["hours"].to_numpy()[good],
        },
        geometry=shapely.points(lon[good], lat[good]),
        crs=4326,
    )
    return Checked(frame, errors.rejects, [])
