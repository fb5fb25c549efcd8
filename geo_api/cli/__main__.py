"""`python -m geo_api.cli`: the gridgov command without its launcher."""

from geo_api.cli.main import main

main()
