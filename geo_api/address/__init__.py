"""Chinese residential addresses: parse them into street, community, compound,
building, unit, floor and room, and match compounds against known names.

Pure Python with no database, so the API, the CLI and the importers can all
use it; see ``parse`` for the forms understood, ``match`` for scoring and
``format`` for writing addresses that read back.
"""

from geo_api.address.format import format_address, lettered
from geo_api.address.match import match_address, similarity
from geo_api.address.numerals import parse_number
from geo_api.address.parse import (
    ParsedAddress,
    compound_key,
    normalise,
    parse_address,
    zone_of,
)

__all__ = [
    "ParsedAddress",
    "compound_key",
    "format_address",
    "lettered",
    "match_address",
    "normalise",
    "parse_address",
    "parse_number",
    "similarity",
    "zone_of",
]
