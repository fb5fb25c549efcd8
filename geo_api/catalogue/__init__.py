"""The store's layers without personal data: one catalogue for exports and OGC API."""
