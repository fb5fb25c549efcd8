"""GIS exports for planners."""
