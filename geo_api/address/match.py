"""Rank known compound names against the compound of a parsed address.

Officers misspell compounds (水岸名珠), drop their suffix (水岸明珠 for
水岸明珠小区) or their phase (阳光家园 for 阳光家园二期). Rather than fail, a
lookup offers the closest known names. Scores are deterministic and tiered so
that a better kind of match always ranks first:

- 1.0: the keys are equal (normalised, trailing 小区 dropped);
- above 0.8: one key contains the other (at least two characters, and at
  least CONTAINED_SHARE of the other's length); the closer their lengths,
  the higher;
- at most 0.8: difflib's SequenceMatcher ratio of the keys.

An address with a zone (水岸明珠B区) is also scored without it, times
ZONE_DROPPED: a store that keeps the whole 水岸明珠 as one compound finds it at
0.95, while one that keeps 水岸明珠B区 apart finds that at 1.0, ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from geo_api.address.parse import ParsedAddress, compound_key

MIN_SCORE = 0.5
MAX_CANDIDATES = 5
_CONTAINED = 0.8  # floor of the containment tier, and ceiling of the ratio tier
CONTAINED_SHARE = 0.6
ZONE_DROPPED = 0.95  # the compound without the address's zone: 水岸明珠 for 水岸明珠B区


def match_address(
    parsed: ParsedAddress,
    compounds: Sequence[str],
    *,
    limit: int = MAX_CANDIDATES,
    min_score: float = MIN_SCORE,
) -> list[tuple[str, float]]:
    """The known compound names closest to ``parsed.compound``, best first, as
    (name, score) with score >= ``min_score``, at most ``limit``; ties by name.
    Empty when the address has no compound or nothing is close."""
    key = parsed.compound_key
    if not key:
        return []
    base = compound_key(parsed.compound_base or "") if parsed.zone else ""
    scores: dict[str, float] = {}
    for name in compounds:
        if name not in scores:
            known = compound_key(name)
            scores[name] = similarity(key, known)
            if base and base != key:
                without_zone = round(ZONE_DROPPED * similarity(base, known), 3)
                scores[name] = max(scores[name], without_zone)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(name, score) for name, score in ranked if score >= min_score][:limit]


def similarity(a: str, b: str) -> float:
    """How alike two compound keys are, from 0.0 to 1.0, rounded to 3 places."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    short, long = sorted((a, b), key=len)
    # Containment counts only when the shorter key is most of the longer one:
    # 紫金 inside 紫金名珠 (a typo of 紫金明珠) says little.
    if len(short) >= 2 and short in long and len(short) >= CONTAINED_SHARE * len(long):
        return round(_CONTAINED + 0.19 * len(short) / len(long), 3)
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return round(min(ratio, _CONTAINED), 3)
