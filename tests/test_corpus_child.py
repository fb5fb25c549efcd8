"""Corpus cases through the API's real import path: a live server whose imports run in a
child process (import_in_child, with its memory and time limits), not in-process as under
the test client's dependency overrides. The answers must be those of the in-process
import: refused with the same words, or the same rows, rejects and notes.

The live server works on a scratch database of its own holding the test city, since
its imports commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from geo_api.api.routes import imports as import_routes
from geo_api.auth.keys import create_key
from geo_api.db import migrate
from geo_api.db.engine import make_engine
from geo_api.demo.city import City
from geo_api.demo.load import load_city
from tests.data.corpus import CASES, Case
from tests.own_store import served
from tests.test_corpus import Outcome, _api, _check, _measure

# A refused file, one with rejects and notes, and one whose points must land where the
# converter says (measured in the scratch store the child wrote).
CHOSEN = (
    "shapefile_prj_far_gk_zone_114",
    "buildings_without_compound_code_one_astray_gpkg",
    "csv_coordinate_system_column_坐标系_utf-8",
)


def _case(name: str) -> Case:
    return next(case for case in CASES if case.name == name)


def _child(case: Case, path: Path, base: str, key: str, conn: Connection) -> Outcome:
    """``POST /imports/{layer}`` to the live server (its import runs in a child)."""
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in case.options.items()}
    answer = httpx.post(
        f"{base}/imports/{case.layer}",
        params=params,
        files={"file": (path.name, path.read_bytes())},
        headers={"X-API-Key": key},
        timeout=120,
    )
    assert answer.status_code in (200, 422), f"{case.name}: {answer.status_code} {answer.text}"
    assert "Traceback" not in answer.text
    body = answer.json()
    if answer.status_code == 422:
        return Outcome(refused=str(body["detail"]))
    return Outcome(
        rows=body["inserted"] + body["updated"] + body["unchanged"],
        rejects=[(r["row"], r["field"]) for r in body["rejects"]],
        notes=body["notes"] + body["warnings"],
        metres=_measure(case, conn),
    )


def test_corpus_cases_through_the_child_process_import(
    scratch_url: str,
    city: City,
    tmp_path: Path,
    conn: Connection,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    children: list[str] = []
    real = import_routes.import_in_child

    def counted(*args: Any, **kwargs: Any) -> Any:
        children.append(str(args[1]))  # the layer: this import went to a child process
        return real(*args, **kwargs)

    monkeypatch.setattr(import_routes, "import_in_child", counted)
    engine = make_engine(scratch_url, pool_size=2)
    try:
        migrate.upgrade(engine)
        load_city(engine, city)
        with engine.begin() as c:
            key = create_key(c, "child imports", "admin", per_minute=10**6)
        with served(scratch_url) as base, engine.connect() as scratch:
            for name in CHOSEN:
                case = _case(name)
                (tmp_path / name).mkdir()
                path = case.make(tmp_path / name)
                in_child = _child(case, path, base, key, scratch)
                assert children[-1:] == [case.layer], f"{name}: not imported in a child"
                here = _api(case, path, client, monkeypatch, conn)
                _check(case, "the child process", in_child)
                _check(case, "the API in-process", here)
                if here.refused is not None:
                    assert " ".join(str(in_child.refused).split()) == " ".join(here.refused.split())
                    continue
                assert (in_child.rows, in_child.rejects) == (here.rows, here.rejects), name
                assert in_child.notes == here.notes, name
                if in_child.rejects:
                    assert in_child.notes, f"{name}: rejects, and the placement's note"
    finally:
        engine.dispose()


def test_the_chosen_cases_are_of_each_kind() -> None:
    refused, rejects, landed = (_case(name).expect for name in CHOSEN)
    assert type(refused).__name__ == "Refused"
    assert getattr(rejects, "rejects", ()) and getattr(landed, "landed", ())
