"""Vector products as OGC API - Features on PostGIS: the core behind ``providers/features.py``.

Imports neither Flask nor pygeoapi (except ``routes``, the HTTP edge): the query building,
CQL2 compilation, keyset paging and CRS handling are plain functions over SQLAlchemy Core.
"""
