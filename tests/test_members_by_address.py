"""Members placed by their written address (geo_api.assign.members), on compounds made
by hand: names that repeat between streets and between a province's counties."""

from __future__ import annotations

import pytest

from geo_api.assign.members import Known, _by_address

# (compound, community id, community, street), as the store holds them: Houma's streets
# by name alone, another county's with its name before.
ROWS = [
    ("水岸明珠", 1, "新田社区", "路东街道"),
    ("水岸明珠二期", 2, "西关社区", "路西街道"),
    ("丽景佳园", 3, "前进社区", "浍滨街道"),
    ("丽景佳园", 4, "前进社区", "曲沃县浍滨街道"),
    ("康乐华庭", 5, "北坞社区", "曲沃县路东街道"),
    ("康乐华庭", 6, "北坞社区", "翼城县路东街道"),
]


@pytest.fixture(scope="module")
def known() -> Known:
    return Known.of(ROWS)


@pytest.mark.parametrize(
    ("address", "community"),
    [
        # The street written wrong: the one compound of that very name still places it
        # (not the near name 水岸明珠二期 of the street written).
        ("路西街道水岸明珠3-2-501", 1),
        ("路东街道新田社区水岸明珠3号楼2单元501室", 1),
        ("路西街道西关社区水岸明珠二期1号楼", 2),
        # Namesakes in two counties: the county and street say which.
        ("浍滨街道前进社区丽景佳园1号楼1单元101室", 3),
        ("曲沃县浍滨街道前进社区丽景佳园1号楼1单元101室", 4),
        ("山西省临汾市曲沃县浍滨街道前进社区丽景佳园1号楼", 4),
        ("临汾市曲沃县浍滨街道丽景佳园1号楼", 4),
        ("翼城县路东街道北坞社区康乐华庭2号楼", 6),
        ("曲沃县路东街道康乐华庭2号楼", 5),
    ],
)
def test_an_address_goes_to_its_own_compound(known: Known, address: str, community: int) -> None:
    placed, problem = _by_address(address, known)
    assert placed == community, problem


@pytest.mark.parametrize(
    "address",
    [
        "前进社区丽景佳园1号楼",  # a community and a compound of two counties alike
        "康乐华庭2号楼",
    ],
)
def test_an_address_that_cannot_say_which_stays_unplaced(known: Known, address: str) -> None:
    placed, problem = _by_address(address, known)
    assert placed is None
    assert "2 communities" in problem.reason
    assert problem.candidates and problem.candidates[0][1] == 1.0
