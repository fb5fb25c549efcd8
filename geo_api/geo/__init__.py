"""Coordinate systems and metric helpers."""
