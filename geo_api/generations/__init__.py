"""Boundaries through time: generations of the area layers, as MapIt keeps them.

The current generation's streets, communities, grids and compounds stay in their
tables, where every reader finds them; older versions and a new generation not yet
made current live in ``area_version`` (migration 0022). ``store`` names and dates
generations, ``areas`` gives any generation's areas as SQL, ``stage`` imports a
layer into a new generation, ``diff`` compares two, ``activate`` makes one current
and ``history`` checks that assignments stay inside their heads' terms and their
households' communities.
"""
