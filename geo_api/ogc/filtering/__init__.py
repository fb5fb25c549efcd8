"""OGC API - Features Part 3 (filtering) and the common extras, over any collection.

* ``queryables``: what a collection can be filtered, sorted and selected on, as the
  JSON Schema that Part 3 publishes at ``/collections/{id}/queryables``;
* ``parse``: the ``filter`` (CQL2 text or JSON, read by the ``cql2`` package),
  ``filter-crs``, ``sortby`` and ``properties`` parameters, checked;
* ``compile``: a CQL2 expression as a SQL condition over a layer's row ``l``, with
  every value bound as a parameter and every property checked against the
  queryables (so no column outside them can be named, personal ones included);
* ``literals``: geometry literals in the filter's CRS as lon/lat WKB.

Plain Python: geo_api.ogc.layer_items and gap_items apply it, the routes parse it.
"""
