"""Rosters: heads, grid officers and party members appointed, changed and retired."""
