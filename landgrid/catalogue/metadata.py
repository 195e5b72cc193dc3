"""What a catalogue needs to know about a product, declared once in its definition.

Licence, providers, themes, contacts, lineage and external identifiers are data of the
product (``config/products/*.yml``, ``config/vector-products/*.yml``), so that the
collection documents, the OGC API - Records records and the STAC collections all say the
same thing. Field names follow the Records and STAC vocabularies they end up in.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# SPDX identifiers look like this (https://spdx.org/licenses/); "other" is the Records and
# STAC value for a licence without one, which then needs a link to its text.
SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
Role = Literal["licensor", "producer", "processor", "host"]


class License(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="SPDX identifier, or 'other' (then url is its text)")
    url: str = Field(description="the licence text (rel=license)")
    title: str | None = None

    @field_validator("id")
    @classmethod
    def _spdx(cls, value: str) -> str:
        if not SPDX_ID.match(value):
            raise ValueError(f"{value!r} is not an SPDX licence identifier (or 'other')")
        return value

    @property
    def text(self) -> str:
        """One line for file attributes (netCDF ``license``, GeoTIFF ``LICENSE``)."""
        return f"{self.title or self.id} ({self.url})"


class Provider(BaseModel):
    """An organisation that had a hand in the data (STAC provider object)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    url: str
    roles: list[Role] = Field(default_factory=lambda: ["producer"])
    description: str | None = None


class Contact(BaseModel):
    """Who to ask about the product (Records ``contacts``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    organization: str | None = None
    email: str | None = None
    url: str | None = None
    roles: list[str] = Field(default_factory=lambda: ["pointOfContact"])


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str | None = None
    url: str | None = None


class Theme(BaseModel):
    """Concepts of one knowledge organisation system (Records ``themes``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: str
    concepts: list[Concept] = Field(min_length=1)


class ExternalId(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: str | None = None
    value: str


class ProductMetadata(BaseModel):
    """The catalogue fields every product definition shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: list[str] = Field(default_factory=list)
    license: License | None = None
    providers: list[Provider] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    lineage: str | None = Field(default=None, description="how the data was made")
    external_ids: list[ExternalId] = Field(default_factory=list)

    @property
    def licence(self) -> str:
        """The licence as one line of text (file attributes)."""
        return self.license.text if self.license else "not stated"

    @property
    def provider(self) -> Provider | None:
        """The producer, else the first provider: the one file attributes name."""
        producers = [p for p in self.providers if "producer" in p.roles]
        return (producers or self.providers or [None])[0]
