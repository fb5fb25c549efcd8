"""Rosters: heads, grid officers and party members appointed, changed and retired; their
changes in an area, and what they agreed to."""
