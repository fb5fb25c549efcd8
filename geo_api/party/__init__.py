"""Party building (issue 17): alliance units and agreements, the shared categories,
the three lists (resources, demands, projects), the matching of demands to resources,
and the members' service (geo_api.party.service). Plain Python over the store; the API
and the CLI are shells over it."""
