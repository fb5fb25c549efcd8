"""Rosters: the heads and officers of an area, their changes, and what they agreed to."""
