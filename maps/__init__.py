"""Folium map pages for the command centre and the officers."""
