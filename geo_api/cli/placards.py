"""gridgov placards and gridgov me heads: the officer's day from the command line.

The CLI reads the store itself, as an operator: names shown in full (a placard's
consenting heads, a roster's heads) are recorded in the audit log as cli:<user>.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli.ui import listing, step
from geo_api.cli.words import t
from geo_api.cli.work import code_of, store
from geo_api.errors import InvalidInputError

if TYPE_CHECKING:
    from geo_api.rosters.my_heads import HeadGaps, MyHead

log = logging.getLogger(__name__)
FORMATS = ("pdf", "html")

me = typer.Typer(help="the officer's day: the heads of a community", no_args_is_help=True)


def placards(
    compound: Annotated[str, typer.Option(help="the compound: its code or its name")],
    out: Annotated[Path, typer.Option(help="the folder to write the placards to")],
    format: Annotated[str, typer.Option(help="pdf (needs Chromium) or html")] = "pdf",
) -> None:
    """Write the placards (三长信息公示牌) of a compound: one A4 page per building and
    one for the compound, naming in full only the heads who agreed (同意公示)."""
    if format not in FORMATS:
        raise InvalidInputError(f"--format must be pdf or html, not {format!r}")
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"--out {out} is a file; give a folder")
    from sqlalchemy import text

    from geo_api.auth.audit import record_operator
    from geo_api.placards.content import building_placard, compound_placard
    from geo_api.placards.page import placard_html
    from geo_api.placards.pdf import chromium, html_to_pdf, self_contained

    if format == "pdf":
        chromium()  # before any work: say at once that PDF cannot be made here
    step("drawing the placards")
    engine = store()
    with engine.connect() as conn:
        code = code_of(conn, "compound", compound)
        row = conn.execute(text("SELECT id FROM compound WHERE code = :c"), {"c": code}).first()
        if row is None:
            raise InvalidInputError(f"no compound has the code {code!r}")
        buildings = conn.execute(
            text("SELECT id FROM building WHERE compound_id = :c ORDER BY number, id"),
            {"c": row.id},
        ).scalars()
        made = [compound_placard(conn, row.id)] + [building_placard(conn, b) for b in buildings]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for placard in made:
        html = placard_html(placard)
        path = out / f"{placard.place}.{format}"
        if format == "pdf":
            path.write_bytes(html_to_pdf(html))
        else:
            path.write_text(self_contained(html), encoding="utf-8")
        written.append((placard.place, len([h for h in placard.heads if h.public]),
                        len(placard.heads), path.name))  # fmt: skip
    with engine.begin() as conn:
        shown = {s for p in made for s in p.shown}
        record_operator(conn, f"gridgov placards --compound {code}", shown)
    listing("placards", ("place", "named in full", "heads", "file"), written)
    log.info("%s %s", t("wrote"), out)


@me.command("heads")
def my_heads(
    community: Annotated[str, typer.Option(help="the community: its 12-digit code or its name")],
    grid: Annotated[
        str | None, typer.Option(help="only this grid of it: its code or its name")
    ] = None,
) -> None:
    """The heads of a community (or grid) with their load and the gaps around them:
    over target, units and buildings without a head, households without a unit head."""
    from sqlalchemy import text

    from geo_api.auth.audit import record_operator
    from geo_api.catalogue.scope import Area
    from geo_api.rosters.area import community_area
    from geo_api.rosters.my_heads import heads_in_area

    engine = store()
    with engine.connect() as conn:
        area = community_area(conn, community)
        if grid is not None:
            code = code_of(conn, "grid", grid)
            found = conn.execute(
                text("SELECT id FROM grid WHERE code = :g AND community_id = :c"),
                {"g": code, "c": area.community_id},
            ).first()
            if found is None:
                raise InvalidInputError(f"no grid {code!r} in community {area.community_code}")
            area = Area(area.community_id, area.community_code, int(found.id))
        heads = heads_in_area(conn, area, reveal=True)
    with engine.begin() as conn:
        record_operator(conn, "gridgov me heads", [f"head:{h.id}" for h in heads])
    listing(
        "heads",
        ("role", "place", "person", "phone", "load/target/max", "around them"),
        [(h.title, h.place, h.name, h.phone, _load(h), _gaps(h.gaps)) for h in heads],
    )


def _load(head: MyHead) -> str:
    """Households covered, target and maximum: 20/18/25."""
    return f"{head.load}/{head.capacity}/{head.max_capacity}"


def _gaps(gaps: HeadGaps) -> str:
    """The gaps around a head in a few words of the run's language."""
    parts = []
    if gaps.over_maximum:
        parts.append(t("over maximum"))
    elif gaps.over_target:
        parts.append(t("over target"))
    for count, words in (
        (gaps.households_without_head, "households without head"),
        (gaps.units_without_head, "units without head"),
        (gaps.buildings_without_head, "buildings without head"),
    ):
        if count:
            parts.append(f"{t(words)} {count}")
    return ", ".join(parts) or "—"
