"""Party-mass service stations (党群服务中心/站/驿站): points with a tier and a floor area.

The tier is city, street, community or outpost, as people write it (市级,
街道级, 乡镇级, 社区级, 村级, 驿站, or in English). A station names the community it
serves by its 12-digit code, or, for a street centre, its street by its 9-digit
code; a community station or outpost without a code takes the community it
stands in, a street centre the street (said in the notes). Upserted on the
station's name, which is unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds, point_coordinates
from geo_api.importer.shapes import parents_at, placed_note

TIERS = {
    "city": "city",
    "市": "city",
    "市级": "city",
    "县级": "city",
    "市党群服务中心": "city",
    "city centre": "city",
    "city center": "city",
    "municipal": "city",
    "street": "street",
    "街道": "street",
    "街道级": "street",
    "镇": "street",
    "乡镇": "street",
    "乡镇级": "street",
    "镇级": "street",
    "乡级": "street",
    "town": "street",
    "township": "street",
    "street centre": "street",
    "street center": "street",
    "community": "community",
    "社区": "community",
    "社区级": "community",
    "村": "community",
    "村级": "community",
    "村级党群服务站": "community",
    "village": "community",
    "community station": "community",
    "outpost": "outpost",
    "驿站": "outpost",
    "党群驿站": "outpost",
    "网格": "outpost",
    "网格级": "outpost",
    "小区级": "outpost",
    "post": "outpost",
}
NEEDS_COMMUNITY = {"community", "outpost"}
COLUMNS = ("name", "tier", "street_id", "community_id", "floor_area_m2", "hours", "geom")


@dataclass
class StationState:
    """One import's lookups and memory."""

    conn: Connection
    bounds: Bounds | None
    places: dict[str, dict[str, tuple[int | None, int]]]
    seen: dict[str, int] = field(default_factory=dict)  # name -> row
    placed: list[str] = field(default_factory=list)


class StationLayer(Layer[StationState]):
    """Party-mass service stations."""

    name = "stations"
    doc = "party-mass service stations (党群服务中心/站/驿站): points with a tier and floor area"
    geometry = "points"
    rebuilds = "network"
    required = frozenset({"name", "tier", "floor_area_m2"})
    fields = (
        Field(
            "name", "text", "the station's name, unique", ("站点名称", "阵地名称", "服务站", "站点")
        ),
        Field(
            "tier", "tier", "city, street, community or outpost (市级, 街道级, 社区级, 驿站 ...)"
        ),
        Field("floor_area_m2", "number", "floor area in m², above 0"),
        Field("hours", "text", "opening hours (optional)"),
        Field("community_code", "code", "the community served (else the one it stands in)"),
        Field("street_code", "code", "a street centre's street (else the one it stands in)"),
        Field("lon", "number", "longitude"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
    )

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> StationState:
        """Communities and streets by code, the city's extent."""
        return StationState(conn, city_bounds(conn), communities(conn))

    def check(
        self,
        chunk: pd.DataFrame,
        fields: dict[str, str],
        crs: SourceCRS | None,
        state: StationState,
    ) -> Checked:
        """Names, tiers, areas, places and points of one chunk."""
        return check_stations(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on the name; a re-import changes only the columns the file gives."""
        given = {
            "tier": "tier" in fields,
            "street_id": True,  # from the codes, else from where the station stands
            "community_id": True,
            "floor_area_m2": "floor_area_m2" in fields,
            "hours": "hours" in fields,
            "geom": True,
        }
        changed = tuple(column for column, present in given.items() if present)
        return [Landing("station", ("name",), COLUMNS, changed)]

    def after(self, conn: Connection, state: StationState, options: Options) -> list[str]:
        """Which community or street each station without a code was given."""
        return placed_note(
            "stations had no community or street code: given the one they stand in",
            state.placed,
        )


def communities(conn: Connection) -> dict[str, dict[str, tuple[int | None, int]]]:
    """By kind ("community", "street"): code -> (community id or None, street id)."""
    places: dict[str, dict[str, tuple[int | None, int]]] = {"community": {}, "street": {}}
    for code, c, s in conn.execute(text("SELECT code, id, street_id FROM community")):
        places["community"][str(code)] = (int(c), int(s))
    for code, s in conn.execute(text("SELECT code, id FROM street")):
        places["street"][str(code)] = (None, int(s))
    return places


def tier_of(value: str) -> str | None:
    """The tier a cell says, or None."""
    key = " ".join(value.strip().lower().replace("_", " ").split())
    return TIERS.get(key) or TIERS.get(key.removesuffix("党群服务站").removesuffix("党群服务中心"))


def check_stations(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: StationState
) -> Checked:
    """Check one chunk of stations; ``state.seen`` (name -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {
        f: text_column(chunk, fields.get(f))
        for f in (
            "name",
            "tier",
            "floor_area_m2",
            "hours",
            "community_code",
            "street_code",
            "lon",
            "lat",
            "crs",
        )
    }
    if "crs" not in fields:
        del col["crs"]
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    for k, value in enumerate(name.tolist()):
        if value is not None and not errors.bad[k]:
            if value in state.seen:
                errors.flag(
                    np.arange(len(name)) == k, "name", name, f"duplicate: row {state.seen[value]}"
                )
            else:
                state.seen[value] = int(errors.rows[k])
    tier = col["tier"].map(lambda t: None if t is None else tier_of(str(t)))
    errors.flag(
        tier.isna().to_numpy(),
        "tier",
        col["tier"],
        "say city, street, community or outpost (市级, 街道级, 社区级, 驿站)",
    )
    area = pd.to_numeric(
        col["floor_area_m2"].str.replace("㎡", "").str.replace("m²", ""), errors="coerce"
    )
    errors.flag(
        (area.isna() | ~np.isfinite(area) | (area <= 0)).to_numpy(),
        "floor_area_m2",
        col["floor_area_m2"],
        "a floor area in m², a finite number above 0",
    )
    place = col["community_code"].map(
        lambda c: None if c is None else state.places["community"].get(c)
    )
    errors.flag(
        (col["community_code"].notna() & place.isna()).to_numpy(),
        "community_code",
        col["community_code"],
        "no community with this code in the store",
    )
    street = col["street_code"].map(lambda c: None if c is None else state.places["street"].get(c))
    errors.flag(
        (col["street_code"].notna() & street.isna()).to_numpy(),
        "street_code",
        col["street_code"],
        "no street with this code in the store",
    )
    place = place.where(place.notna(), street).astype(object)
    lon, lat = point_coordinates(chunk, col, crs, state.bounds, errors)
    errors.flag(~np.isfinite(lon), "lon/lat", None, "a station needs its location")
    _place_by_location(tier, place, lon, lat, errors, state)
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


def _unplaced(place: pd.Series, kind: str) -> pd.Series:
    """Rows without a place of ``kind`` (a street's code alone names no community)."""
    if kind == "community":
        return place.map(lambda p: p is None or p[0] is None)
    return place.isna()


def _place_by_location(
    tier: pd.Series,
    place: pd.Series,
    lon: np.ndarray,
    lat: np.ndarray,
    errors: RowErrors,
    state: StationState,
) -> None:
    """A community station or outpost without a community takes the one it stands in; a
    street centre without a street, the street."""
    points = np.asarray(shapely.points(lon, lat), dtype=object)
    for kind, tiers in (("community", NEEDS_COMMUNITY), ("street", {"street"})):
        # A street's code alone does not say a community station's community.
        lost = (tier.isin(tiers) & _unplaced(place, kind)).to_numpy() & ~errors.bad
        if not lost.any():
            continue
        hits = parents_at(state.conn, kind, points[lost])
        for k, hit in zip(np.flatnonzero(lost).tolist(), hits, strict=True):
            if hit is None:
                continue
            code = hit.code
            place.iat[k] = state.places[kind][code]  # type: ignore[assignment]
            state.placed.append(f"row {errors.rows[k]} → {code}")
        nowhere = lost & _unplaced(place, kind).to_numpy()
        errors.flag(
            nowhere,
            f"{kind}_code",
            None,
            f"no {kind} code, and the station stands in no stored {kind}",
        )


STATIONS = StationLayer()
