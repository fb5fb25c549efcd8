"""Figures and gaps over time: snapshots per city, street and community (snapshot),
their daily series and changes (series), and the command-centre wall's figures (wall)."""
