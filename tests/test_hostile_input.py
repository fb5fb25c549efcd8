"""Regression tests for requests that once got a bare 500 (issue 20): each gets a 4xx
whose message names what is wrong."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

OGC = "/ogc/collections"


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        (f"{OGC}/households/items?offset=9223372036854775808", 422, "offset"),
        (f"{OGC}/households/items?offset={2**64}", 422, "offset"),
        (f"{OGC}/stations/items?tier=%00", 422, "tier"),
        (f"{OGC}/stations/items?tier=a%00b", 422, "tier"),
        (f"{OGC}/households/items/1%00", 422, "path"),
        (f"{OGC}/households/items?after=%00", 422, "after"),
        ("/lookup?lon=111.3&lat=35.6&crs=IAU_2015:30100", 422, "IAU_2015:30100"),
        ("/lookup/address?q=%E6%B0%B4%00", 422, "'q'"),
        ("/gaps?type=%00", 422, "type"),
    ],
)
def test_hostile_urls_get_a_4xx_naming_the_value(
    client: TestClient, path: str, status: int, named: str
) -> None:
    got = client.get(path)
    assert got.status_code == status, got.text
    assert named in str(got.json()["detail"])


def test_a_nul_in_x_purpose_is_refused(client: TestClient, keys: dict[str, str]) -> None:
    got = client.get("/heads/1", headers={"X-API-Key": keys["admin"], "X-Purpose": "%00"})
    assert got.status_code == 422 and "X-Purpose" in got.json()["detail"]
    fine = client.get("/heads/1", headers={"X-API-Key": keys["admin"], "X-Purpose": "%E5%9B%9E"})
    assert fine.status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "ggt_" + "9" * 5000 + ".1.x",  # past Python's int() digit limit
        "ggt_99999999999999999999.9999999999.x",  # past the key id column
        "ggt_1." + "9" * 30 + ".x",  # an expiry of the far future
        "ggt_１.２.x",  # full-width digits: isdigit() says yes, int() too
    ],
)
def test_malformed_tokens_are_401(client: TestClient, token: str) -> None:
    bearer = f"Bearer {token}".encode()  # sent as UTF-8 bytes, as a client may
    got = client.get("/gaps", headers={"X-API-Key": "", "Authorization": bearer})
    assert got.status_code == 401 and "unknown, expired or revoked" in got.json()["detail"]


@pytest.mark.parametrize(
    ("name", "crs", "named"),
    [
        ("户" * 300 + ".csv", None, "rename the file"),
        ("homes.csv", "IAU_2015:30100", "IAU_2015:30100"),
    ],
)
def test_hostile_uploads_get_a_422(
    client: TestClient, name: str, crs: str | None, named: str
) -> None:
    body = b"lon,lat,room\n111.3,35.6,501\n"
    params = {"crs": crs} if crs else {}
    got = client.post("/imports/households", params=params, files={"file": (name, body)})
    assert got.status_code == 422, got.text
    assert named in got.json()["detail"]
