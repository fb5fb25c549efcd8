"""gridgov units, gridgov lists, gridgov match: alliance units, the three lists and
the matching of demands to resources (issue 17).

Contacts are masked unless --reveal, whose full read goes to the audit log as the
system user. The domain is imported inside each command (see geo_api.cli.main).
"""

from __future__ import annotations

from typing import Annotated

import typer

from geo_api.cli.ui import listing, out
from geo_api.cli.words import t
from geo_api.cli.work import store

units_app = typer.Typer(
    help="Alliance units (联盟单位) and their agreements.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
lists_app = typer.Typer(
    help="The three lists (资源/需求/项目清单) and their categories.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
Year = Annotated[int | None, typer.Option(help="the lists' year (default: this year)")]
Community = Annotated[str | None, typer.Option(help="one community (its code or name)")]


def _year(year: int | None) -> int:
    from geo_api.clock import today

    return year if year is not None else today().year


@units_app.command("list")
def units_list(
    street: Annotated[str | None, typer.Option(help="bound to this street")] = None,
    community: Community = None,
    reveal: Annotated[bool, typer.Option(help="contacts in full (audited)")] = False,
) -> None:
    """List the alliance units, with their agreements in force."""
    from geo_api.auth.audit import record_operator
    from geo_api.party.units import list_units

    with store().begin() as conn:
        found = list_units(conn, street=street, community=community, reveal=reveal)
        if reveal:
            record_operator(conn, "units list", [f"alliance_unit:{u['id']}" for u in found])
    listing(
        "alliance units",
        ("id", "name", "unit kind", "contact", "phone", "agreements"),
        [
            (
                u["id"],
                u["name"],
                t(u["kind"]),
                u["contact_name"],
                u["contact_phone"],
                u["agreements_in_force"],
            )
            for u in found
        ],
    )


@units_app.command("add")
def units_add(
    name: Annotated[str, typer.Argument(help="the unit's name (unique)")],
    kind: Annotated[str, typer.Option(help="government, state_firm, private_firm, school...")],
    address: Annotated[str | None, typer.Option()] = None,
    contact: Annotated[str | None, typer.Option(help="the liaison's name")] = None,
    phone: Annotated[str | None, typer.Option(help="the liaison's phone")] = None,
    lon: Annotated[float | None, typer.Option()] = None,
    lat: Annotated[float | None, typer.Option()] = None,
) -> None:
    """Register an alliance unit."""
    from geo_api.party.units import add_unit

    with store().begin() as conn:
        made = add_unit(
            conn,
            name,
            kind,
            address=address,
            contact_name=contact,
            contact_phone=phone,
            lon=lon,
            lat=lat,
        )
    out.print(f"{t('unit added')}: {made['id']} {made['name']}")


@units_app.command("sign")
def units_sign(
    unit_id: Annotated[int, typer.Argument(help="the unit's id")],
    street: Annotated[str | None, typer.Option(help="a street (code or name)")] = None,
    community: Community = None,
    on: Annotated[str | None, typer.Option(help="signed on (YYYY-MM-DD; today)")] = None,
) -> None:
    """Sign an agreement binding a unit to a street or a community."""
    from geo_api.party.units import sign_agreement

    with store().begin() as conn:
        made = sign_agreement(conn, unit_id, street=street, community=community, signed_on=on)
    out.print(f"{t('agreement signed')}: {made['id']} ({made['street'] or made['community']})")


@units_app.command("end")
def units_end(
    agreement_id: Annotated[int, typer.Argument(help="the agreement's id")],
    on: Annotated[str | None, typer.Option(help="ended on (YYYY-MM-DD; today)")] = None,
) -> None:
    """End an agreement."""
    from geo_api.party.units import end_agreement

    with store().begin() as conn:
        ended = end_agreement(conn, agreement_id, on)
    out.print(f"{t('agreement ended')}: {ended['id']} {ended['ended_on']}")


@lists_app.command("categories")
def categories(
    add: Annotated[
        tuple[str, str, str] | None, typer.Option(help="add one: CODE 中文名 'English name'")
    ] = None,
    retire: Annotated[str | None, typer.Option(help="retire the category of this code")] = None,
) -> None:
    """List the categories of the lists; add or retire one."""
    from geo_api.party.categories import add_category, list_categories, retire_category

    with store().begin() as conn:
        if add is not None:
            add_category(conn, *add)
        if retire is not None:
            retire_category(conn, retire)
        found = list_categories(conn)
    listing(
        "categories",
        ("code", "name", "English", "in use"),
        [
            (c["code"], c["name_zh"], c["name_en"], t("yes") if c["active"] else t("no"))
            for c in found
        ],
    )


@lists_app.command("resources")
def resources(year: Year = None, community: Community = None) -> None:
    """The resource list of a year."""
    from geo_api.party.lists import list_resources
    from geo_api.party.places import community_id

    with store().connect() as conn:
        where = community_id(conn, community) if community else None
        found = list_resources(conn, year=_year(year), community_id=where)
    listing(
        "resource list",
        ("id", "title", "category", "unit", "capacity", "community"),
        [
            (r["id"], r["title"], r["category"], r["unit"], r["capacity"], r["community"])
            for r in found
        ],
    )


@lists_app.command("demands")
def demands(year: Year = None, community: Community = None) -> None:
    """The demand list of a year."""
    from geo_api.party.lists import list_demands
    from geo_api.party.places import community_id

    with store().connect() as conn:
        where = community_id(conn, community) if community else None
        found = list_demands(conn, year=_year(year), community_id=where)
    listing(
        "demand list",
        ("id", "title", "category", "community", "urgency", "status"),
        [
            (d["id"], d["title"], d["category"], d["community"], d["urgency"], d["status"])
            for d in found
        ],
    )


@lists_app.command("checkpoint")
def checkpoint(
    at: Annotated[str, typer.Argument(help="start, mid or end (年初/年中/年末)")],
    year: Year = None,
    community: Community = None,
) -> None:
    """Where the year's projects stand at a checkpoint: the late ones listed."""
    from geo_api.party.places import community_id
    from geo_api.party.projects import checkpoint_report

    with store().connect() as conn:
        where = community_id(conn, community) if community else None
        report = checkpoint_report(conn, _year(year), at, where)
    out.print(
        f"{report['day']}: {t('projects')} {report['projects']}, {t('milestones due')} "
        f"{report['milestones_due']}, {t('done')} {report['milestones_done']}"
    )
    listing(
        "late projects",
        ("id", "title", "community", "status", "due", "done"),
        [
            (p["id"], p["title"], p["community"], p["status"], p["due"], p["done"])
            for p in report["late"]
        ],
    )


def match(
    year: Year = None,
    community: Community = None,
    reach: Annotated[float, typer.Option(help="walking reach, metres")] = 1000.0,
    accept: Annotated[bool, typer.Option(help="accept every proposal: a project each")] = False,
) -> None:
    """Propose resources for the year's open demands: the optimal matching within a
    walk (capacities respected, urgent demands first); --accept makes the projects."""
    from geo_api.party.match.propose import accept as accept_match
    from geo_api.party.match.propose import propose
    from geo_api.party.places import community_id

    with store().begin() as conn:
        where = community_id(conn, community) if community else None
        answer = propose(conn, _year(year), community_id=where, reach_m=reach)
        if accept:
            for p in answer["proposals"]:
                accept_match(conn, p["demand"]["id"], [p["resource"]["id"]], reach_m=reach)
    listing(
        "proposed matches",
        ("demand", "category", "community", "urgency", "resource", "unit", "metres"),
        [
            (
                f"{p['demand']['id']} {p['demand']['title']}",
                p["demand"]["category"],
                p["demand"]["community"],
                p["demand"]["urgency"],
                f"{p['resource']['id']} {p['resource']['title']}",
                p["resource"].get("unit", ""),
                f"{p['resource']['metres']:.0f}",
            )
            for p in answer["proposals"]
        ],
    )
    out.print(
        f"{t('open demands')} {answer['open_demands']}, {t('met')} {answer['met']}, "
        f"{t('walk')} {answer['total_m'] / 1000:.1f} km ({t(answer['method'])})"
        + (f"; {t('projects made')} {answer['met']}" if accept else "")
    )
