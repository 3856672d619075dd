"""Where to go: the service points nearest to a person, by a shared LINE location or by the district they named.

Distances are straight-line (haversine) kilometres: no routing service can be reached from here, and for "which of
these three offices is nearest" the straight line is what matters. A place without published coordinates sits at
its district's centre and its distance is shown as approximate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from app import yamlfile
from app.knowledge.schemas import Status
from app.places.schemas import District, Place, Point

DISTRICTS_FILE = "districts.json"
PLACES_DIR = "places"
EARTH_RADIUS_KM = 6371.0
# A shared location further than this from every Taichung point is someone outside the city (or a typo).
FAR_KM = 60.0


class PlacesError(ValueError):
    """Place or district data that does not validate; the message names the file."""


@dataclass(frozen=True)
class Geography:
    """The districts and the published places, with each place's point (its own, or its district's centre)."""

    districts: dict[str, District] = field(default_factory=dict)
    places: tuple[Place, ...] = ()

    def point_of(self, place: Place) -> Point:
        if place.location.lat is not None and place.location.lon is not None:
            return Point(lat=place.location.lat, lon=place.location.lon)
        return self.districts[place.district].centre

    def offering(self, service_id: str) -> list[Place]:
        return [p for p in self.places if service_id in p.services]

    def district_at(self, point: Point) -> District | None:
        return next((d for d in self.districts.values() if d.bounds.contains(point) and d.contains(point)), None)


@dataclass(frozen=True)
class Nearby:
    place: Place
    km: float
    approximate: bool


def distance_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def nearest(geo: Geography, origin: Point, service_id: str, limit: int = 3) -> list[Nearby]:
    """The `limit` places offering the service, nearest first; places further than FAR_KM are left out."""
    found = [Nearby(p, distance_km(origin, geo.point_of(p)), p.location.approximate) for p in geo.offering(service_id)]
    found.sort(key=lambda n: (n.km, n.place.id))
    return [n for n in found if n.km <= FAR_KM][:limit]


def nearest_to_district(geo: Geography, district: str, service_id: str, limit: int = 3) -> list[Nearby]:
    """From a district named in words: the places in it first (nearest its centre), then the nearest outside it —
    so a district with no point of its own gets its neighbours'. Distances are from the district's centre, so
    every one of them is approximate."""
    centre = geo.districts[district].centre
    found = [Nearby(p, distance_km(centre, geo.point_of(p)), True) for p in geo.offering(service_id)]
    found.sort(key=lambda n: (n.place.district != district, n.km, n.place.id))
    return found[:limit]


def load_districts(knowledge_dir: Path) -> dict[str, District]:
    path = knowledge_dir / DISTRICTS_FILE
    if not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {d["name"]: District.model_validate(d) for d in document["districts"]}


# Simplified outlines are ~100 m off at the edges: a point this close to its district (in degrees) is in it.
EDGE_MARGIN = 0.003


def lies_in(district: District, point: Point, margin: float = EDGE_MARGIN) -> bool:
    """Inside the district's outline, or within `margin` of it (the point or one of eight around it is inside)."""
    if not district.bounds.contains(point, margin=margin):
        return False
    around = [(0.0, 0.0)] + [(dy * margin, dx * margin) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    return any(district.contains(Point(lat=point.lat + dy, lon=point.lon + dx)) for dy, dx in around)


def place_problems(place: Place, districts: dict[str, District], service_ids: set[str]) -> list[tuple[str, str]]:
    """What the schema cannot see: the district, the services and the position, as (field, why) in words staff read
    (the console shows them beside the field; the file loader names the file)."""
    if place.district not in districts:
        return [("district", f"「{place.district}」不是臺中市的行政區。")]
    problems = []
    unknown = [s for s in place.services if s not in service_ids]
    if unknown:
        problems.append(("services", f"沒有這些服務：{'、'.join(unknown)}。"))
    if place.location.lat is not None and place.location.lon is not None:
        point = Point(lat=place.location.lat, lon=place.location.lon)
        if not lies_in(districts[place.district], point):
            problems.append(("lat", (f"座標（{point.lat}, {point.lon}）不在{place.district}的範圍內："
                                     "請確認緯度、經度沒有填反或打錯，或行政區選錯了。"
                                     "查不到公開的座標時，請把座標留空並勾選「位置為約略」。")))
    return problems


def load_places(knowledge_dir: Path, districts: dict[str, District], service_ids: set[str]) -> tuple[Place, ...]:
    """Every place in knowledge/places/, drafts included; one naming an unknown district or service, or lying
    outside its district, is refused."""
    places = []
    for path in sorted((knowledge_dir / PLACES_DIR).glob("*.yaml")):
        try:
            place = Place.model_validate(yamlfile.safe_load(path.read_text(encoding="utf-8")))
        except Exception as exc:
            raise PlacesError(f"{path}: {exc}") from exc
        if place.id != path.stem:
            raise PlacesError(f"{path}: id {place.id!r} does not match the file name")
        if problems := place_problems(place, districts, service_ids):
            raise PlacesError(f"{path}: " + " ".join(why for _, why in problems))
        places.append(place)
    return tuple(places)


def geography_of(districts: dict[str, District], places: tuple[Place, ...]) -> Geography:
    """What citizens are directed to: the published places."""
    return Geography(districts, tuple(p for p in places if p.status is Status.published and p.district in districts))
