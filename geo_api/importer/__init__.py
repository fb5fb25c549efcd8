"""Importing officers' files: the reading half (formats, encodings, column names).

``read.open_source`` opens a GeoJSON, GeoPackage, Shapefile, CSV or XLSX file
and streams it as chunks of text cells; ``columns.map_columns`` says which
column holds which field. Validation and upsert build on these and live apart.
"""
