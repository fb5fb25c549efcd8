"""Rate budgets kept in the store, so that every worker of every machine spends from
the same ones: a key's requests a minute, and a client address's wrong keys a minute.

Each budget is a token bucket, one row of ``rate_bucket`` (migration 0024): ``cap``
tokens, refilled continuously at ``cap`` a minute. A request spends a token with one
upsert, which holds the row's lock for the statement only, so two workers can never
both spend a key's last token. The key's check, the address's hold and the spend are
one statement (GATE), one round trip as the check alone was.

A bucket untouched for a minute is full again, so such rows are deleted (SWEEP)
without losing anything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text

from geo_api.auth.keys import CALLER_TEMPLATE, PREFIX, hash_key
from geo_api.auth.tokens import MAX_TOKEN_SECONDS, TOKEN_PREFIX, parse_token, token_hash

KEY, ADDRESS = "key", "address"
SWEEP_EVERY_S = 60.0  # how often a worker deletes the full buckets


def _level(bucket: str, cap: str) -> str:
    """The tokens a bucket holds now: what it held, plus the refill since (never less:
    a statement that waited for another's row lock started before that one wrote)."""
    since = f"extract(epoch FROM GREATEST(now() - {bucket}.at, interval '0'))"
    return f"LEAST({cap}, {bucket}.tokens + {since} * {cap} / 60.0)"


# Spend a token of a bucket (the source names it: kind, name, cap, wrote_at), or refuse
# (granted false) and spend nothing. A write is remembered only when it is let through.
_NEW = _level("b", "EXCLUDED.cap")
UPSERT = f"""
INSERT INTO rate_bucket AS b (kind, name, cap, tokens, at, granted, wrote_at)
{{source}}
ON CONFLICT (kind, name) DO UPDATE SET
  tokens = {_NEW} - CASE WHEN {_NEW} >= 1 THEN 1 ELSE 0 END,
  at = GREATEST(b.at, now()),  -- a statement that waited must not move the clock back
  cap = EXCLUDED.cap,
  granted = {_NEW} >= 1,
  wrote_at = CASE WHEN EXCLUDED.wrote_at IS NOT NULL AND {_NEW} >= 1
                  THEN EXCLUDED.wrote_at ELSE b.wrote_at END
RETURNING b.tokens, b.granted, b.cap
"""
_SPEND_SOURCE = (
    "SELECT :kind, :name, CAST(:cap AS float8), CAST(:cap AS float8) - 1, now(), true, "
    "CASE WHEN :writes THEN now() END"
)
SPEND_SQL = text(UPSERT.format(source=_SPEND_SOURCE))

# The address's hold: its wrong keys have used up its budget.
_HELD = f"""
held AS (
  SELECT {_level("f", "CAST(:fail_cap AS float8)")} AS level
  FROM rate_bucket f WHERE f.kind = 'address' AND f.name = :client
)"""  # noqa: S608 - constant fragments
HELD_SQL = text(f"WITH {_HELD} SELECT level FROM held")  # noqa: S608 - constant fragments

# Who holds the credential (unless the address is held), their key's token spent when
# asked (:spend), and whether the key wrote lately (:sticky_s seconds).
_GATE = """
WITH {held},
caller AS (
  {caller}
  AND NOT EXISTS (SELECT 1 FROM held WHERE held.level < 1)
),
spent AS (
  {spend}
)
SELECT held.level AS held_level, caller.*, spent.tokens, spent.granted, spent.cap,
       kb.wrote_at > now() - make_interval(secs => :sticky_s) AS wrote_lately
FROM (SELECT 1) AS one
LEFT JOIN held ON true LEFT JOIN caller ON true LEFT JOIN spent ON true
LEFT JOIN rate_bucket kb ON kb.kind = 'key' AND kb.name = caller.id::text
"""
_CALLER_SPEND = UPSERT.format(
    source="SELECT 'key', caller.id::text, caller.per_minute, caller.per_minute - 1, now(), "
    "true, CASE WHEN :writes THEN now() END FROM caller WHERE :spend"
)


def _gate(which: str) -> TextClause:
    caller = CALLER_TEMPLATE.format(which=which).strip()
    return text(_GATE.format(held=_HELD, caller=caller, spend=_CALLER_SPEND.strip()))


KEY_GATE = _gate("k.key_hash = :hash")
# A token's signature is checked in Python after the row comes back (it needs the
# server's secret): its key's token is spent only then (SPEND_SQL).
TOKEN_GATE = _gate(
    "k.id = :id AND NOT EXISTS (SELECT 1 FROM ended_session s WHERE s.token_hash = :token)"
)
NOBODY_GATE = _gate("false")  # a credential that can name nobody: the address's hold only

# Both return a row (a count), as every statement of the asyncio pool does.
# A bucket unused for a minute is full again, so it can go; but a key's write mark is
# kept while it still sends its reads to the primary (:sticky_s, when that is longer).
SWEEP_SQL = text(
    "WITH gone AS (DELETE FROM rate_bucket WHERE at < now() - interval '1 minute' "
    "AND (wrote_at IS NULL OR wrote_at < now() - make_interval(secs => "
    "greatest(60, CAST(:sticky_s AS float8)))) RETURNING 1) "
    "SELECT count(*) AS n FROM gone"
)
WROTE_SQL = text(
    "WITH marked AS (UPDATE rate_bucket SET wrote_at = now() "
    "WHERE kind = 'key' AND name = :name RETURNING 1) SELECT count(*) AS n FROM marked"
)


def gate_query(
    secret: str, now: float, *, spend: bool, writes: bool
) -> tuple[TextClause, dict[str, Any]]:
    """The statement that checks a credential and spends its key's token (a key; a
    token's is spent after its signature is checked), with its parameters but the
    address's (``client``, ``fail_cap``) and ``sticky_s``."""
    params: dict[str, Any] = {"spend": spend, "writes": writes}
    if secret.startswith(TOKEN_PREFIX):
        parts = parse_token(secret)
        if parts is not None and now < parts[1] <= now + MAX_TOKEN_SECONDS:
            params.update(id=parts[0], token=token_hash(secret), spend=False)
            return TOKEN_GATE, params
    elif secret.startswith(PREFIX) and len(secret) <= 200:
        return KEY_GATE, {**params, "hash": hash_key(secret)}
    return NOBODY_GATE, {**params, "spend": False}


def spend_params(kind: str, name: str, cap: int, *, writes: bool = False) -> dict[str, Any]:
    """SPEND_SQL's parameters: a token of ``kind``'s bucket ``name`` of ``cap`` a minute."""
    return {"kind": kind, "name": name, "cap": cap, "writes": writes}


def wait_s(level: float, cap: float) -> float:
    """Seconds until a bucket of ``cap`` a minute holding ``level`` tokens has one."""
    return 0.0 if level >= 1 else (1 - level) * 60 / cap
