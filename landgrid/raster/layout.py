"""What every reader and writer of a store shares: the variable's name and the HDF5 lock.

netCDF-C and HDF5 are not thread-safe: every call into them in a process holds ``LOCK``
(the coverage reader, the analysis sources, the COG builder), while GDAL's reads of the COGs
(``landgrid.raster.cogs``) need no lock at all.
"""

from __future__ import annotations

import threading

import netCDF4
import numpy as np

VARIABLE = "land_cover"
LOCK = threading.Lock()


def years_of(ds: netCDF4.Dataset) -> list[int]:
    """Years of an open store, in time order."""
    time = ds["time"]
    if time.size == 0:
        return []
    dates = netCDF4.num2date(time[:], time.units, time.calendar)
    return [int(d.year) for d in np.atleast_1d(dates)]
