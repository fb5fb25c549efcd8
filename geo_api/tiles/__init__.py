"""Vector tiles of the layers too big for a map page."""
