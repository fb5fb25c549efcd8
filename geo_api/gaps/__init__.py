"""Coverage gaps: who is not covered, and where."""
