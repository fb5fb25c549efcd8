"""The project list (项目清单) from the spreadsheets streets and communities keep:
项目名称, 需求, 社区, 牵头单位, 负责人, 状态, 年度, and optional 年初节点/年中节点/年末节点
holding the day each checkpoint's milestone was done (完成日期).

Upserted on year, title and community, under the party domain's rules
(geo_api.party.projects): a status moves only forward (计划 → 进行中 → 完成, or 中止),
a demand is met by one project and must be open to take a new one, a new project gets
a milestone per checkpoint, and the demand follows the project (matched, met when it is
done, open again when it is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.db.party import Checkpoint, ProjectStatus
from geo_api.importer.checks import Checked, RowErrors, dates, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.party_rows import (
    ListState,
    community_of,
    first_of_key,
    given,
    land_rows,
    lookups,
    number,
    one,
    row_year,
    stored_key,
)
from geo_api.importer.upsert import Landed
from geo_api.party.projects import DEFAULT_MILESTONES, PROJECT_MOVES, checkpoint_date

STATUS = {"计划": "planned", "计划中": "planned", "未开始": "planned", "进行中": "underway",
          "实施中": "underway", "推进中": "underway", "完成": "done", "已完成": "done",
          "中止": "dropped", "终止": "dropped", "取消": "dropped"}  # fmt: skip
UPDATES = {"demand_id": ("demand", "demand_id"), "lead_unit_id": ("lead_unit", "lead_unit_id"),
           "owners": ("owners",), "status": ("status",)}  # fmt: skip
COLUMNS = ("year", "title", "demand_id", "community_id", "lead_unit_id", "owners", "status")
TEXTS = ("year", "title", "demand", "demand_id", "community", "community_id", "lead_unit",
         "lead_unit_id", "owners", "status")  # fmt: skip
MILESTONES = {"start_done": Checkpoint.start, "mid_done": Checkpoint.mid,
              "end_done": Checkpoint.end}  # fmt: skip
# What a demand becomes with its project in each status (from matched, or open).
DEMAND_FOLLOWS = {"planned": "matched", "underway": "matched", "done": "met", "dropped": "open"}


@dataclass
class ProjectState(ListState):
    """A list import's state, and the year's demands by (year, community, title)."""

    demands: dict[tuple[int, int, str], tuple[int, str]] = field(default_factory=dict)
    demand_ids: dict[int, tuple[int, int, str]] = field(
        default_factory=dict
    )  # community, year, status
    taken: dict[int, int] = field(default_factory=dict)  # demand id -> row


def reachable(now: str, wanted: str) -> bool:
    """Whether a project may move from ``now`` to ``wanted`` in one or more steps."""
    seen, todo = {ProjectStatus(now)}, [ProjectStatus(now)]
    while todo:
        for step in PROJECT_MOVES[todo.pop()]:
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return ProjectStatus(wanted) in seen


class ProjectLayer(Layer[ProjectState]):
    """The projects of a year's list."""

    name = "projects"
    doc = "project list (项目清单): demands met with units' help, owners, status, milestones"
    geometry = "none"
    required = frozenset({"year", "title"})
    one_of = (frozenset({"community"}), frozenset({"community_id"}))
    fields = (
        Field("year", "whole number", "the list's year (2021, 2021年)", ("年度", "年份", "年")),
        Field("title", "text", "the project's name", ("项目名称", "项目", "名称")),
        Field("demand", "text", "the demand it meets, by name in the year's list of the "
              "community (optional)", ("需求", "需求名称", "对应需求")),
        Field("demand_id", "id", "the demand's id (as the lists' export gives it)"),
        Field("community", "text", "the community, by code or name"),
        Field("community_id", "id", "the community's id (as the lists' export gives it)"),
        Field("lead_unit", "text", "the alliance unit that leads it, by name (optional)",
              ("牵头单位", "责任单位", "实施单位")),
        Field("lead_unit_id", "id", "the unit's id (as the lists' export gives it)"),
        Field("owners", "text", "the people in charge (personal data)", ("负责人", "责任人")),
        Field("status", "project status", "计划, 进行中, 完成, 中止 (or planned, underway, "
              "done, dropped; 计划 if absent); a stored project only moves forward",
              ("状态", "进度", "项目状态")),
        Field("start_done", "date", "the day the start-of-year milestone (立项) was done",
              ("年初节点", "年初完成日期", "年初节点完成日期")),
        Field("mid_done", "date", "the day the mid-year milestone (推进实施) was done",
              ("年中节点", "年中完成日期", "年中节点完成日期")),
        Field("end_done", "date", "the day the year-end milestone (结果反馈) was done",
              ("年末节点", "年末完成日期", "年末节点完成日期")),
    )  # fmt: skip

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> ProjectState:
        """Communities and units by name; the demands of every year's list."""
        state = ProjectState(conn, lookups(conn))
        state.updates = given(fields, UPDATES)
        for r in conn.execute(
            text("SELECT id, year, community_id, title, status FROM party_demand")
        ):
            state.demands.setdefault((int(r.year), int(r.community_id), str(r.title).strip()),
                                     (int(r.id), str(r.status)))  # fmt: skip
            state.demand_ids[int(r.id)] = (int(r.community_id), int(r.year), str(r.status))
        return state

    def check(
        self,
        chunk: pd.DataFrame,
        fields: dict[str, str],
        crs: SourceCRS | None,
        state: ProjectState,
    ) -> Checked:
        """Years, titles, communities, demands, units, statuses and milestones of one chunk."""
        return check_projects(chunk, fields, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """None: the rows land through ``land`` (no unique index holds their key)."""
        return []

    def land(self, conn: Connection, state: ProjectState, rows: pd.DataFrame) -> Landed:
        """Each row found on (year, title, community) and updated, or inserted with its
        milestones; then its milestones' days, and its demand's status."""
        old = {
            int(r.id): r.demand_id
            for r in conn.execute(
                text("""SELECT p.id, p.demand_id FROM party_project p
                        JOIN unnest(CAST(:ids AS int[])) AS k(id) ON k.id = p.id"""),
                {"ids": [int(i) for i in rows["_stored"].dropna()]},
            )
        }
        landed, results = land_rows(conn, "party_project", COLUMNS, rows, state.updates)
        for project, row, how in results:
            moved = _follow_up(conn, project, row, how, old.get(project))
            if moved and how == "unchanged":
                landed.unchanged -= 1
                landed.updated += 1
                how = "updated"
            if how != "unchanged":
                state.touched.append(project)
        return landed

    def records(self, state: ProjectState) -> list[str]:
        """The projects added or changed."""
        return [f"party_project:{i}" for i in state.touched]


def _follow_up(
    conn: Connection, project: int, row: dict[str, Any], how: str, old_demand: int | None
) -> bool:
    """A new project's milestones, the milestones' days the row gives, and the demand's
    status; whether anything changed."""
    changed = False
    if how == "inserted":
        conn.execute(
            text("UPDATE party_project SET created_by = 'import' WHERE id = :p"), {"p": project}
        )
        for checkpoint, step in DEFAULT_MILESTONES:
            conn.execute(
                text("""INSERT INTO project_milestone (project_id, title, checkpoint, due_on)
                        VALUES (:p, :t, :c, :d)"""),
                {"p": project, "t": step, "c": checkpoint.value,
                 "d": checkpoint_date(int(row["year"]), checkpoint)},
            )  # fmt: skip
    for name, checkpoint in MILESTONES.items():
        day = row.get(name)
        if isinstance(day, date):
            changed |= bool(
                conn.execute(
                    text("""UPDATE project_milestone SET done_on = :d WHERE project_id = :p
                            AND checkpoint = :c AND done_on IS DISTINCT FROM :d"""),
                    {"p": project, "c": checkpoint.value, "d": day},
                ).rowcount
            )
    if old_demand is not None and old_demand != row["demand_id"]:
        conn.execute(  # the demand the project left is open again
            text("UPDATE party_demand SET status = 'open' WHERE id = :d AND status = 'matched'"),
            {"d": old_demand},
        )
    if row["demand_id"] is not None:
        follows = DEMAND_FOLLOWS[str(row["status"])]
        changed |= bool(
            conn.execute(
                text("""UPDATE party_demand SET status = :s WHERE id = :d
                        AND status IN ('open', 'matched') AND status <> :s"""),
                {"s": follows, "d": int(row["demand_id"])},
            ).rowcount
        )
    return changed


def check_projects(chunk: pd.DataFrame, fields: dict[str, str], state: ProjectState) -> Checked:
    """Check one chunk of projects; ``state.seen`` and ``state.taken`` span the file."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in TEXTS}
    for name in ("year", "title"):
        errors.flag(col[name].isna().to_numpy(), name, None, "missing")
    errors.flag((col["community"].isna() & col["community_id"].isna()).to_numpy(),
                "community", None, "missing")  # fmt: skip
    done = {name: dates(text_column(chunk, fields.get(name)), errors, name) for name in MILESTONES}
    look = state.lookups
    n = len(chunk)
    out: dict[str, list[object]] = {c: [None] * n for c in (*COLUMNS, *MILESTONES, "_stored")}
    for k in range(n):
        if errors.bad[k]:
            continue
        row = one(errors, k)
        year = row_year(errors, col, k)
        if year is None:
            continue
        where = "community" if col["community"].iat[k] is not None else "community_id"
        community = community_of(col[where].iat[k], look, errors, k, col[where], where)
        if community is None:
            continue
        title = str(col["title"].iat[k])
        key = (year, title, community)
        if not first_of_key(errors, col, k, state.seen, key):
            continue
        stored = stored_key(state.conn, "party_project", year, title, community)
        given = col["status"].iat[k]
        status = "planned" if given is None else _status(str(given))
        if status is None:
            errors.flag(row, "status", col["status"], "say 计划, 进行中, 完成 or 中止")
            continue
        if stored is not None and not reachable(str(stored["status"]), status):
            errors.flag(
                row,
                "status",
                col["status"],
                f"the project is {stored['status']}: it cannot become {status}",
            )
            continue
        unit = _unit(col, k, state, errors)
        demand = _demand(col, k, year, community, stored, state, errors)
        if errors.bad[k]:
            continue
        state.seen[key] = int(errors.rows[k])
        if demand is not None:
            state.taken[demand] = int(errors.rows[k])
        values = (year, title, demand, community, unit, col["owners"].iat[k], status)
        for c, v in zip(COLUMNS, values, strict=True):
            out[c][k] = v
        for name in MILESTONES:
            out[name][k] = done[name].iat[k]
        out["_stored"][k] = stored["id"] if stored else None
    good = ~errors.bad
    frame = pd.DataFrame({"_row": chunk["_row"].to_numpy()[good]})
    for c, cells in out.items():
        frame[c] = pd.Series(cells, dtype=object).to_numpy()[good]
    return Checked(frame, errors.rejects, [])


def _status(value: str) -> str | None:
    """The project status a cell says (Chinese or English), or None."""
    key = value.strip()
    return key.lower() if key.lower() in ProjectStatus.__members__ else STATUS.get(key)


def _unit(col: dict[str, pd.Series], k: int, state: ProjectState, errors: RowErrors) -> int | None:
    """The unit that leads row ``k``'s project, by name or id, or None."""
    name, given_id = col["lead_unit"].iat[k], col["lead_unit_id"].iat[k]
    if name is not None:
        found = state.lookups.units.get(str(name))
        if found is None:
            errors.flag(
                one(errors, k),
                "lead_unit",
                col["lead_unit"],
                "no alliance unit of this name (gridgov import alliance_units)",
            )
            return None
        return found[0]
    if given_id is not None:
        wanted = number(given_id)
        if wanted is None or int(wanted) not in state.lookups.unit_ids:
            errors.flag(one(errors, k), "lead_unit_id", col["lead_unit_id"],
                        "no alliance unit with this id")  # fmt: skip
            return None
        return int(wanted)
    return None


def _demand(
    col: dict[str, pd.Series],
    k: int,
    year: int,
    community: int,
    stored: dict[str, Any] | None,
    state: ProjectState,
    errors: RowErrors,
) -> int | None:
    """The demand row ``k``'s project meets: in its year's list and community, open
    (or already this project's), and met by no other row of the file."""
    row = one(errors, k)
    name, given_id = col["demand"].iat[k], col["demand_id"].iat[k]
    field = "demand" if name is not None else "demand_id"
    if name is not None:
        found = state.demands.get((year, community, str(name)))
        if found is None:
            errors.flag(row, "demand", col["demand"],
                        f"no demand of this name in the community's {year} list "
                        "(gridgov import demands)")  # fmt: skip
            return None
        demand, status = found
    elif given_id is not None:
        wanted = number(given_id)
        held = state.demand_ids.get(int(wanted)) if wanted is not None else None
        if wanted is None or held is None or held[0] != community or held[1] != year:
            errors.flag(row, "demand_id", col["demand_id"],
                        "no demand with this id in the community's list of the year")  # fmt: skip
            return None
        demand, status = int(wanted), held[2]
    else:
        return None
    if demand in state.taken:
        errors.flag(row, field, col[field], f"row {state.taken[demand]} meets this demand already")
        return None
    ours = stored is not None and stored["demand_id"] == demand
    if not ours and status != "open":
        errors.flag(
            row, field, col[field], f"the demand is {status}, not open: another project meets it"
        )
        return None
    return demand


PROJECTS = ProjectLayer()
