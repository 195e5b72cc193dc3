"""Raster products as OGC API - Coverages: request parsing, window planning, store reads,
nearest-neighbour resampling and encoders, independent of Flask and pygeoapi.

``query`` parses the HTTP parameters (rc2 and the 2022-draft forms real clients send),
``plan`` resolves them against a product into an output grid (checking the size limit before
any read), ``reader`` reads windows from the CF netCDF store, ``encode`` and ``covjson``
write the formats, ``describe`` builds the metadata documents, ``routes`` wires it to HTTP.
"""
