"""How a map page is drawn: language, big screen, refresh, basemap and vector tiles.

The API's query parameters and the CLI's options both end up here, so a wrong
value gets the same message (naming the parameter and the value) from both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import geopandas as gpd

from geo_api.errors import InvalidInputError
from geo_api.generations.store import parse_date
from maps.basemaps import NO_BASEMAP, Basemap, resolve_basemap
from maps.labels import DEFAULT_LANG, LANGS, labels
from maps.shift import frame_to_gcj02, latlon_to_gcj02
from maps.vendor import DEFAULT_BASE_URL

SCREENS = ("normal", "big")
# The wall (maps.wall) polls a few KB of figures this often; it never reloads itself.
BIG_SCREEN_REFRESH_S = 60
REFRESH_MIN_S, REFRESH_MAX_S = 10, 86_400
# Past this many households the household and building layers come from vector tiles
# (/tiles/...), not from the page: the page would grow past what a browser handles well.
TILES_FROM_HOUSEHOLDS = 1_000_000


@dataclass(frozen=True)
class PageOptions:
    """Everything about a page that is not the data: see page_options()."""

    lang: str = DEFAULT_LANG
    big: bool = False
    refresh_s: int | None = None  # seconds between reloads; None: never
    basemap: Basemap = NO_BASEMAP
    tiles: bool | None = None  # household/building layers as vector tiles; None: by size
    base_url: str = DEFAULT_BASE_URL  # where the page's scripts and styles are served
    tiles_url: str = ""  # prefix of /tiles/... (empty: the same server as the page)
    at: date | None = None  # the boundaries in force that day (None: the current ones)
    words: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", labels(self.lang))

    def t(self, key: str, **values: object) -> str:
        """The label ``key`` in the page's language, with ``values`` filled in."""
        text = self.words[key]
        return text.format(**values) if values else text

    def use_tiles(self, households: int) -> bool:
        """Whether household and building layers come from vector tiles: as asked,
        else on the wall (seen from five metres at the city's scale, where the tiles
        start only when it drills down, and kept under its 3 MB) and past
        TILES_FROM_HOUSEHOLDS. A page written to a file (`gridgov map`) asks for none."""
        if self.tiles is not None:
            return self.tiles
        return self.big or households > TILES_FROM_HOUSEHOLDS

    def place(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``frame`` in the basemap's coordinates (GCJ-02 on AMap and Tencent)."""
        return frame_to_gcj02(frame) if self.basemap.gcj02 else frame

    def place_points(self, rows: list[list[float]]) -> list[list[float]]:
        """Rows starting [lat, lon, ...] in the basemap's coordinates."""
        if not self.basemap.gcj02 or not rows:
            return rows
        lats, lons = latlon_to_gcj02([r[0] for r in rows], [r[1] for r in rows])
        return [[lat, lon, *r[2:]] for lat, lon, r in zip(lats, lons, rows, strict=True)]

    def without_refresh(self) -> PageOptions:
        """The same options with no reload (a file has no server to reload from)."""
        return replace(self, refresh_s=None)


def page_options(
    *,
    screen: str = "normal",
    lang: str = DEFAULT_LANG,
    refresh: int | None = None,
    basemap: str = "none",
    tiles: bool | None = None,
    tianditu_key: str | None = None,
    at: str | None = None,
) -> PageOptions:
    """Check and combine a page's options; a wrong one raises InvalidInputError."""
    if screen not in SCREENS:
        raise InvalidInputError(f"screen must be one of {', '.join(SCREENS)}, not {screen!r}")
    if lang not in LANGS:
        raise InvalidInputError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    big = screen == "big"
    if refresh is None:
        refresh = BIG_SCREEN_REFRESH_S if big else 0
    if refresh != 0 and not REFRESH_MIN_S <= refresh <= REFRESH_MAX_S:
        raise InvalidInputError(
            f"refresh must be 0 (never) or {REFRESH_MIN_S} to {REFRESH_MAX_S} seconds, "
            f"not {refresh}"
        )
    return PageOptions(
        lang=lang,
        big=big,
        refresh_s=refresh or None,
        basemap=resolve_basemap(basemap, lang, tianditu_key),
        tiles=tiles,
        at=parse_date(at, "at"),
    )
