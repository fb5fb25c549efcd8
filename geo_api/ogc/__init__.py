"""OGC API - Features (Part 1 core, GeoJSON, HTML; Part 2 CRS by reference) over the store.

Plain Python: the routes in geo_api.api.routes.ogc are a thin shell over it.
"""
