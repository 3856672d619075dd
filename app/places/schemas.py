"""Validated schema of where to go: Taichung's 29 districts and the service points in `knowledge/places/`.

A place is curated content like a service: every fact has a source with its year. Coordinates come from public
sources only; a place whose coordinates nobody published is put at its district's centre and marked approximate,
so distances to it are shown as "about".
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.knowledge.schemas import NonEmpty, Source, Status, Strict, backed_by_a_source, dialable, known_languages


class Point(BaseModel):
    """A position anywhere (a shared location may be abroad); curated places are bounded in PlaceLocation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    south: float
    west: float
    north: float
    east: float

    def contains(self, point: Point, margin: float = 0.0) -> bool:
        return (self.south - margin <= point.lat <= self.north + margin
                and self.west - margin <= point.lon <= self.east + margin)


class District(BaseModel):
    """One of 臺中's 29 districts (knowledge/districts.json, made by scripts/import_districts.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^.{1,3}區$")
    names: dict[str, str]
    centre: Point
    bounds: Bounds
    neighbours: tuple[str, ...]
    outline: tuple[tuple[tuple[float, float], ...], ...] = Field(description="Rings of (lon, lat)")

    def label(self, lang: str) -> str:
        translated = self.names.get(lang)
        return f"{translated}（{self.name}）" if translated and lang != "zh-TW" else self.name

    def contains(self, point: Point) -> bool:
        """Ray casting over the outline's rings (even-odd), in degrees: fine at a district's scale."""
        inside = False
        for ring in self.outline:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y1 > point.lat) != (y2 > point.lat):
                    if point.lon < x1 + (point.lat - y1) * (x2 - x1) / (y2 - y1):
                        inside = not inside
        return inside


class PlaceKind(StrEnum):
    bureau_office = "bureau_office"
    mediation_point = "mediation_point"
    employment_station = "employment_station"
    employment_desk = "employment_desk"
    migrant_centre = "migrant_centre"
    lawyer_desk = "lawyer_desk"
    injury_window = "injury_window"
    inspection_office = "inspection_office"
    bli_office = "bli_office"
    mol_office = "mol_office"


class PlaceLocation(Strict):
    lat: float | None = Field(default=None, ge=21.8, le=26.5)
    lon: float | None = Field(default=None, ge=118.0, le=122.1)
    approximate: bool = False

    @model_validator(mode="after")
    def _both_or_neither(self) -> PlaceLocation:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither (then the district's centre is used, approximate)")
        if self.lat is None and not self.approximate:
            raise ValueError("a place without coordinates must say approximate: true")
        return self


class Place(Strict):
    """A service point a citizen can walk into or call: a counter, a mediation point, an employment station."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: NonEmpty = Field(max_length=60)
    names: dict[str, NonEmpty] = Field(default_factory=dict, description="The name in en/id/vi/th")
    kind: PlaceKind
    address: NonEmpty
    district: NonEmpty
    location: PlaceLocation
    phone: str | None = None
    hours: str | None = None
    hours_translations: dict[str, NonEmpty] = Field(default_factory=dict)
    services: list[NonEmpty] = Field(min_length=1, description="Ids of the services offered here")
    languages: list[str] = Field(default_factory=lambda: ["zh-TW"])
    note: str | None = None
    sources: list[Source] = Field(min_length=1)
    last_verified: dt.date
    status: Status = Status.draft

    @field_validator("phone")
    @classmethod
    def _phone_is_dialable(cls, value: str | None) -> str | None:
        return dialable(value)

    @field_validator("names", "hours_translations")
    @classmethod
    def _known_languages(cls, value: dict[str, str]) -> dict[str, str]:
        return known_languages(value)

    @model_validator(mode="after")
    def _verified_by_a_source(self) -> Place:
        backed_by_a_source(self.last_verified, self.sources)
        return self

    def label(self, lang: str) -> str:
        """The name in `lang` beside the Chinese one (what the counter's sign says), or the Chinese alone."""
        translated = self.names.get(lang)
        return f"{translated}（{self.name}）" if translated and lang != "zh-TW" else self.name

    def hours_in(self, lang: str) -> str | None:
        return self.hours_translations.get(lang) or self.hours if lang != "zh-TW" else self.hours
