"""Regression tests for requests that once got a bare 500 (issue 20): each gets a 4xx
whose message names what is wrong."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo_api.api.errors import integrity_detail

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


@pytest.mark.parametrize("offset", ["9" * 5000, "%C2%B2", "%D9%A3", "%EF%BC%91"])
def test_an_offset_no_int_can_read_is_a_422_not_a_crash(
    client: TestClient, keys: dict[str, str], offset: str
) -> None:
    """The next-page check of the rate budget reads the offset before the route does
    (the schema fuzz once found 5,000 digits crash it; ² and ١ are digits to isdigit())."""
    got = client.get(
        f"{OGC}/households/items?offset={offset}", headers={"X-API-Key": keys["admin"]}
    )
    assert got.status_code == 422, got.text
    assert "offset" in str(got.json()["detail"])


@pytest.mark.parametrize("length", [b"9" * 5000, "²".encode("latin-1")])
def test_a_content_length_no_int_can_read_is_refused_not_a_crash(
    client: TestClient, keys: dict[str, str], length: bytes
) -> None:
    got = client.post(
        "/heads",
        content=b"{}",
        headers={
            "X-API-Key": keys["admin"],
            "Content-Length": length,
            "Content-Type": "application/json",
        },
    )
    assert 400 <= got.status_code < 500, got.text


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


def test_ids_that_name_nothing_are_a_422_naming_them(client: TestClient, conn: Connection) -> None:
    """A foreign id no row has (a workplace unit, a project's lead unit) is the client's
    mistake: 422 naming the field and the value, never a 500; nothing is written."""
    household = conn.execute(text("SELECT min(id) FROM household")).scalar_one()
    community = conn.execute(text("SELECT code FROM community ORDER BY id LIMIT 1")).scalar_one()
    member = client.post(
        "/members",
        json={"name": "刘党员", "phone": "13612345678", "household_id": household,
              "workplace_unit_id": 999_999},
    )  # fmt: skip
    assert member.status_code == 422, member.text
    assert member.json()["detail"] == "workplace_unit_id 999999 names no alliance unit"
    project = client.post(
        "/projects",
        json={"year": 2026, "title": "加装电梯", "community": community, "lead_unit_id": 999_998},
    )
    assert project.status_code == 422, project.text
    assert "lead_unit_id 999998" in project.json()["detail"]
    written = conn.execute(text("SELECT count(*) FROM member WHERE name = '刘党员'")).scalar_one()
    assert written == 0


def test_integrity_errors_say_which_constraint_in_words() -> None:
    """Each kind of broken constraint maps to its status and a sentence."""

    class Diag:
        def __init__(self, detail: str, column: str | None = None) -> None:
            self.message_detail = detail
            self.constraint_name = "ck_x"
            self.column_name = column

    class DriverError(Exception):
        def __init__(self, diag: Diag) -> None:
            self.diag = diag

    def said(detail: str, column: str | None = None) -> tuple[int, str]:
        return integrity_detail(IntegrityError("stmt", {}, DriverError(Diag(detail, column))))

    assert said('Key (id)=(4) is still referenced from table "assignment".') == (
        409, "assignment still refers to id 4: end or move those first")  # fmt: skip
    taken = said("Key (name, phone)=(张三, 13900000000) already exists.")
    assert taken == (409, "a row with the same name, phone exists already")  # no values
    assert said("", column="name") == (422, "name is required")
    assert said("Failing row contains (1, -3).") == (422, "the values break ck_x")
