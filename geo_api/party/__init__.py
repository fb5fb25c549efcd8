"""The party-building systems of the Houma report (issue 17)."""
