"""Party building (issue 17): alliance units and agreements, the shared categories,
the three lists (resources, demands, projects) and the matching of demands to
resources. Plain Python over the store; the API and the CLI are shells over it."""
