"""Registered party members (报到党员) from a register: name, phone, where they live.

A member is known by name and phone (upserted on both). Where they live is a
point (lon/lat or the file's geometry) or a written address; the assignment
run's placement (geo_api.assign.members) turns either into their community,
so imported members start unplaced. Phones are checked as Chinese numbers:
11-digit mobiles (1[3-9]…) or landlines with their area code.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_api.importer.checks import Checked, RowErrors, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.households import Bounds, point_coordinates

CHINA = ZoneInfo("Asia/Shanghai")
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
UPSERT = (
    "member",
    ["name", "phone"],
    ["name", "phone", "address", "registered_on", "placed_by", "geom"],
)


def updates(fields: dict[str, str], located: bool) -> list[str]:
    """What a re-import may change: the columns the file gives (a member that changes
    has placed_by cleared, so that the next run places them again)."""
    changed: list[str] = [c for c in ("address", "registered_on") if c in fields]
    if located:
        changed.append("geom")
    return changed


def check_members(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    crs: SourceCRS | None,
    bounds: Bounds | None,
    seen: dict[tuple[str, str], int],
) -> Checked:
    """Check one chunk of members; ``seen`` ((name, phone) -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in (
        "name", "phone", "address", "registered_on", "lon", "lat")}  # fmt: skip
    name = col["name"]
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    errors.flag((name.fillna("").str.len() > 50).to_numpy(), "name", name, "longer than 50")
    phone = col["phone"].map(lambda p: None if p is None else re.sub(r"[\s()]", "", str(p)))
    errors.flag(phone.isna().to_numpy(), "phone", None, "missing")
    bad_phone = phone.notna() & ~phone.fillna("").str.match(PHONE.pattern)
    errors.flag(bad_phone.to_numpy(), "phone", col["phone"], "not a Chinese phone number")
    when = pd.to_datetime(col["registered_on"], errors="coerce", format="mixed")
    errors.flag(
        (col["registered_on"].notna() & when.isna()).to_numpy(),
        "registered_on", col["registered_on"], "not a date (e.g. 2024-03-01)",
    )  # fmt: skip
    today = datetime.now(CHINA).date()
    if "registered_on" in fields:
        errors.flag(col["registered_on"].isna().to_numpy(), "registered_on", None, "missing")
    future = (when > pd.Timestamp(today)).to_numpy(dtype=bool)
    errors.flag(future, "registered_on", col["registered_on"], "in the future")
    for k, key in enumerate(zip(name.tolist(), phone.tolist(), strict=True)):
        if not errors.bad[k]:
            if key in seen:
                mask = np.arange(len(name)) == k
                errors.flag(mask, "phone", phone, f"the same member as row {seen[key]}")
            else:
                seen[key] = int(errors.rows[k])
    lon, lat = point_coordinates(chunk, col, crs, bounds, errors)
    nowhere = ~np.isfinite(lon) & col["address"].isna().to_numpy()
    errors.flag(nowhere, "address", None, "no address and no point: where does the member live?")
    good = ~errors.bad
    registered = when.dt.date.where(when.notna(), today)  # no column: registered today
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
            "placed_by": [None] * int(good.sum()),
        },
        geometry=gpd.GeoSeries(points, crs=4326),
        crs=4326,
    )
    return Checked(frame, errors.rejects, [])
