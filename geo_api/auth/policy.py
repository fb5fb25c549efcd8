"""Which roles may call which endpoint: one table, checked on every request.

A route missing from the table is refused to everyone but admins, and a test
fails for it, so a new endpoint cannot slip through unguarded. Officers are
further held to their own community inside the routes they may call.
"""

from __future__ import annotations

from typing import Final

ALL: Final = frozenset({"admin", "command", "officer", "planner"})
STAFF: Final = frozenset({"admin", "command"})  # the whole city
NO_PERSONAL: Final = frozenset({"admin", "command", "planner"})  # the whole city, no people
WITH_OFFICERS: Final = frozenset({"admin", "command", "officer"})

# (method, path template) -> roles allowed.
POLICY: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("GET", "/lookup"): WITH_OFFICERS,
    ("GET", "/lookup/address"): WITH_OFFICERS,
    ("GET", "/households/{household_id}"): WITH_OFFICERS,
    ("PUT", "/households/{household_id}/head"): WITH_OFFICERS,
    ("PUT", "/households/{household_id}/lock"): WITH_OFFICERS,
    ("POST", "/households"): WITH_OFFICERS,
    ("GET", "/heads/{head_id}"): WITH_OFFICERS,
    ("PUT", "/heads/{head_id}/capacity"): STAFF,
    # Roster changes: officers within their own community (or grid), checked in the
    # routes; the command centre anywhere; planners never.
    ("POST", "/heads"): WITH_OFFICERS,
    ("PUT", "/heads/{head_id}"): WITH_OFFICERS,
    ("DELETE", "/heads/{head_id}"): WITH_OFFICERS,
    ("PUT", "/households/{household_id}"): WITH_OFFICERS,
    ("DELETE", "/households/{household_id}"): WITH_OFFICERS,
    ("PUT", "/communities/{code}/capacity"): STAFF,
    # The officer's day: their own area; the command centre names a community.
    ("GET", "/me/heads"): WITH_OFFICERS,
    ("GET", "/me/changes"): WITH_OFFICERS,
    ("PUT", "/heads/{head_id}/consent"): WITH_OFFICERS,
    ("GET", "/placards/building/{building_id}"): WITH_OFFICERS,
    ("GET", "/placards/compound/{compound_id}"): WITH_OFFICERS,
    # Rosters: officers change their own area's; the command centre any; planners none
    # (names and phones), but the registration counts.
    ("GET", "/officers"): WITH_OFFICERS,
    ("GET", "/officers/{officer_id}"): WITH_OFFICERS,
    ("POST", "/officers"): WITH_OFFICERS,
    ("PUT", "/officers/{officer_id}"): WITH_OFFICERS,
    ("PUT", "/officers/{officer_id}/grids"): WITH_OFFICERS,
    ("DELETE", "/officers/{officer_id}"): WITH_OFFICERS,
    ("GET", "/members"): WITH_OFFICERS,
    ("GET", "/members/registrations"): ALL,
    ("GET", "/members/{member_id}"): WITH_OFFICERS,
    ("POST", "/members"): WITH_OFFICERS,
    ("PUT", "/members/{member_id}"): WITH_OFFICERS,
    ("DELETE", "/members/{member_id}"): WITH_OFFICERS,
    ("GET", "/gaps"): ALL,
    ("GET", "/service-areas"): NO_PERSONAL,
    ("GET", "/siting"): NO_PERSONAL,
    ("POST", "/assign"): STAFF,
    ("GET", "/recruits"): STAFF,
    ("POST", "/imports/{layer}"): STAFF,
    # Officers get their own community (or grid) only: geo_api.catalogue.scope.
    ("GET", "/exports/{fmt}"): ALL,
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"): ALL,
    ("GET", "/maps/command-centre"): NO_PERSONAL,
    ("GET", "/wall.json"): NO_PERSONAL,
    ("GET", "/stats"): ALL,  # an officer's own community only
    ("GET", "/maps/communities/{code}"): ALL,
    ("GET", "/communities"): ALL,  # names and codes; an officer's own only
    ("GET", "/maps/grids/{code}"): ALL,
    # OGC API - Features: the published layers, without personal data; city-wide,
    # but an officer's own community (or grid) only.
    ("GET", "/ogc/"): ALL,
    ("GET", "/ogc"): ALL,
    ("GET", "/ogc/conformance"): ALL,
    ("GET", "/ogc/collections"): ALL,
    ("GET", "/ogc/collections/{collection_id}"): ALL,
    ("GET", "/ogc/collections/{collection_id}/items"): ALL,
    ("GET", "/ogc/collections/{collection_id}/queryables"): ALL,  # the same for every role
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): ALL,
    # Members' service (issue 17): officers in their own community (the domain holds
    # them to it); members' names and phones masked for the command centre.
    ("GET", "/activities"): WITH_OFFICERS,
    ("POST", "/activities"): WITH_OFFICERS,
    ("GET", "/activities/{activity_id}"): WITH_OFFICERS,
    ("PUT", "/activities/{activity_id}"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/cancel"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/notify"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/members/{member_id}/received"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/members/{member_id}/checkin"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/checkin"): WITH_OFFICERS,
    ("POST", "/activities/{activity_id}/members/{member_id}/feedback"): WITH_OFFICERS,
    ("GET", "/members/{member_id}/points"): WITH_OFFICERS,
    ("POST", "/members/{member_id}/exchange"): WITH_OFFICERS,
    ("GET", "/communities/{code}/service"): ALL,
    ("GET", "/points/rules"): ALL,
    ("PUT", "/points/rules"): STAFF,
    ("GET", "/yearend/{kind}"): ALL,
    # Party building (issue 17): the lists are read by all (personal data masked or
    # left out by role: geo_api.party.visible); officers write in their community.
    ("GET", "/party/categories"): ALL,
    ("POST", "/party/categories"): STAFF,
    ("PUT", "/party/categories/{code}"): STAFF,
    ("POST", "/party/categories/{code}/retire"): STAFF,
    ("GET", "/units"): ALL,
    ("GET", "/units/{unit_id}"): ALL,
    ("POST", "/units"): STAFF,
    ("PUT", "/units/{unit_id}"): STAFF,
    ("POST", "/units/{unit_id}/agreements"): WITH_OFFICERS,
    ("POST", "/agreements/{agreement_id}/end"): WITH_OFFICERS,
    ("GET", "/resources"): ALL,
    ("POST", "/resources"): WITH_OFFICERS,
    ("POST", "/resources/{resource_id}/withdraw"): WITH_OFFICERS,
    ("GET", "/demands"): ALL,
    ("POST", "/demands"): WITH_OFFICERS,
    ("POST", "/demands/{demand_id}/status"): WITH_OFFICERS,
    ("GET", "/projects"): ALL,
    ("GET", "/projects/checkpoint"): ALL,
    ("POST", "/projects"): WITH_OFFICERS,
    ("POST", "/projects/{project_id}/status"): WITH_OFFICERS,
    ("POST", "/projects/{project_id}/milestones"): WITH_OFFICERS,
    ("POST", "/milestones/{milestone_id}/done"): WITH_OFFICERS,
    ("GET", "/matches"): ALL,
    ("POST", "/matches/accept"): WITH_OFFICERS,
}
# Open to anyone: liveness, the API's own description, signing in.
PUBLIC: Final = frozenset(
    {"/health", "/openapi.json", "/docs", "/login", "/oauth/token", "/favicon.ico", "/"}
)


def allowed(method: str, path: str, role: str) -> bool:
    """Whether ``role`` may call ``method path`` (a route's path template)."""
    roles = POLICY.get((method.upper(), path))
    if roles is None:
        return role == "admin"
    return role in roles
