"""Small pure helpers, tested against known values."""

from __future__ import annotations

import numpy as np
import pytest

from geo_api.errors import InvalidInputError
from geo_api.geo.crs import metric_epsg, to_metres
from geo_api.privacy import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"), [("张三明", "张*明"), ("张三", "张*"), ("欧阳小明", "欧**明"), ("张", "*")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize(
    ("lon", "epsg"), [(111.36, 4546), (116.40, 4548), (121.47, 4549), (75.0, 4534), (135.0, 4554)]
)
def test_metric_zone(lon: float, epsg: int) -> None:
    assert metric_epsg(lon) == epsg


def test_metric_zone_outside_china() -> None:
    with pytest.raises(InvalidInputError, match="outside China"):
        metric_epsg(10.0)


def test_metres_are_metres() -> None:
    # 0.01 degree of latitude at Houma is 1,109 m on the ellipsoid.
    xy = to_metres(np.array([111.36, 111.36]), np.array([35.62, 35.63]), 4546)
    assert np.hypot(*(xy[1] - xy[0])) == pytest.approx(1109.4, abs=1.0)
