"""Raster product definitions: legend, grid and metadata, loaded from YAML files.

A product is data, not code (``config/products/*.yml``); this module turns each file into a
validated, typed ``RasterProduct`` so that stores, generators and providers never handle raw
dicts and never disagree about the grid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from affine import Affine
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pyproj import CRS
from pyproj.exceptions import CRSError

from landgrid.catalogue.metadata import License, ProductMetadata, Provider
from landgrid.errors import LandgridError

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]


class ProductDefinitionError(LandgridError, ValueError):
    """A product definition file is missing, unreadable or invalid."""


def _parse_crs(value: object) -> CRS:
    try:
        return CRS.from_user_input(value)
    except CRSError as e:
        raise ValueError(f"unknown CRS {value!r}: {e}") from e


CRSField = Annotated[
    CRS,
    PlainSerializer(lambda crs: crs.to_string(), return_type=str),
    WithJsonSchema({"type": "string", "examples": ["EPSG:3035"]}),
]


class LegendClass(BaseModel):
    """One entry of a raster legend: a pixel value, its meaning and its colour."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: int = Field(ge=0, le=255)
    label: str = Field(min_length=1)
    colour: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")
    clc_code: int | None = Field(default=None, description="three-digit CLC code, if any")
    technical: bool = Field(default=False, description="a code that is not a land class")
    nodata: bool = False

    @property
    def rgb(self) -> RGB:
        return (int(self.colour[1:3], 16), int(self.colour[3:5], 16), int(self.colour[5:7], 16))

    @property
    def is_class(self) -> bool:
        return not (self.technical or self.nodata)


class Extent(BaseModel):
    """Bounds of the product grid, in the product's CRS."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @model_validator(mode="after")
    def _ordered(self) -> Extent:
        if self.xmin >= self.xmax or self.ymin >= self.ymax:
            raise ValueError("extent needs xmin < xmax and ymin < ymax")
        return self


class RasterProduct(ProductMetadata):
    """A land-cover product: one categorical uint8 layer per year on a fixed grid; its
    licence, providers, themes, contacts and lineage are those of ``ProductMetadata``."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    license: License  # type: ignore[assignment]  # required here
    providers: list[Provider] = Field(min_length=1)
    crs: CRSField
    resolution: float = Field(gt=0, description="pixel size in CRS units (square pixels)")
    extent: Extent
    years: list[int] = Field(default_factory=list)
    dtype: Literal["uint8"] = "uint8"
    nodata: int = Field(ge=0, le=255)
    legend: list[LegendClass] = Field(min_length=1)

    @field_validator("crs", mode="before")
    @classmethod
    def _crs(cls, value: object) -> CRS:
        crs = _parse_crs(value)
        if not crs.is_projected:
            raise ValueError(f"{value!r} is not a projected CRS (a grid in metres is expected)")
        return crs

    @model_validator(mode="after")
    def _consistent(self) -> RasterProduct:
        codes = [c.code for c in self.legend]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"legend: duplicate codes {duplicates}")
        for name, lo, hi in (
            ("x", self.extent.xmin, self.extent.xmax),
            ("y", self.extent.ymin, self.extent.ymax),
        ):
            pixels = (hi - lo) / self.resolution
            if abs(pixels - round(pixels)) > 1e-6:
                raise ValueError(
                    f"extent: {name} span {hi - lo} is not a whole number of "
                    f"{self.resolution} pixels ({pixels:.4f})"
                )
        flagged = [c.code for c in self.legend if c.nodata]
        if flagged and flagged != [self.nodata]:
            raise ValueError(f"legend: nodata entries {flagged} differ from nodata {self.nodata}")
        if len(set(self.years)) != len(self.years):
            raise ValueError("years: duplicates")
        return self

    @property
    def provider(self) -> Provider:
        """The producer (a raster product always names one provider at least)."""
        return super().provider or self.providers[0]

    @property
    def codes(self) -> list[int]:
        """Every legend code, technical and nodata included."""
        return [c.code for c in self.legend]

    @property
    def class_codes(self) -> list[int]:
        """Codes of real land classes (no technical code, no nodata)."""
        return [c.code for c in self.legend if c.is_class]

    @property
    def valid_codes(self) -> list[int]:
        """Codes a pixel may hold: the legend plus the nodata value."""
        return sorted({*self.codes, self.nodata})

    def label(self, code: int) -> str:
        return next(c.label for c in self.legend if c.code == code)

    @property
    def colormap(self) -> dict[int, RGBA]:
        """GDAL-style colour table; nodata is transparent."""
        return {c.code: (*c.rgb, 0 if c.code == self.nodata else 255) for c in self.legend}

    @property
    def width(self) -> int:
        return round((self.extent.xmax - self.extent.xmin) / self.resolution)

    @property
    def height(self) -> int:
        return round((self.extent.ymax - self.extent.ymin) / self.resolution)

    @property
    def transform(self) -> Affine:
        """North-up affine transform of the grid's top-left corner."""
        return Affine(
            self.resolution, 0.0, self.extent.xmin, 0.0, -self.resolution, self.extent.ymax
        )

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        e = self.extent
        return (e.xmin, e.ymin, e.xmax, e.ymax)

    def x_coords(self) -> np.ndarray:
        """Pixel-centre x coordinates, west to east."""
        return self.extent.xmin + (np.arange(self.width) + 0.5) * self.resolution

    def y_coords(self) -> np.ndarray:
        """Pixel-centre y coordinates, north to south (the grid is north-up)."""
        return self.extent.ymax - (np.arange(self.height) + 0.5) * self.resolution


def _field_errors(error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"field '{where}': {err['msg']}")
    return "; ".join(parts)


def load_product(path: Path) -> RasterProduct:
    """Read and validate one product definition file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProductDefinitionError(f"{path}: cannot read: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise ProductDefinitionError(f"{path}: invalid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ProductDefinitionError(f"{path}: expected a mapping of fields, got {type(data)}")
    try:
        return RasterProduct.model_validate(data)
    except ValidationError as e:
        raise ProductDefinitionError(f"{path}: {_field_errors(e)}") from e


def load_products(directory: Path) -> dict[str, RasterProduct]:
    """Load every ``*.yml`` product definition in a folder, keyed by product id."""
    if not directory.is_dir():
        raise ProductDefinitionError(f"{directory}: no such product folder")
    products: dict[str, RasterProduct] = {}
    origin: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yml")):
        product = load_product(path)
        if product.id in products:
            raise ProductDefinitionError(
                f"{path}: field 'id': {product.id!r} is already defined in {origin[product.id]}"
            )
        products[product.id] = product
        origin[product.id] = path
    return products


def flag_meaning(label: str) -> str:
    """A legend label as one CF ``flag_meanings`` word (letters, digits, underscores)."""
    return re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_").lower() or "unnamed"
