"""Roster changes: heads appointed, retired, moved, updated; households ended or moved.

Each change goes through here (the API, the CLI and the imports are thin shells),
records who and when in the history (head terms, household end, assignment rows),
and re-assigns only the communities it touches (geo_api.assign.engine).
"""
