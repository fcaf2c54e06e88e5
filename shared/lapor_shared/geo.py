"""Where a point lies: latitude/longitude → the Kemendagri code of its regency or city.

Reference data, like ``regions``: ``data/regency-boundaries.geojson`` holds one simplified multipolygon per
level-2 region (the 514 codes of ``wilayah.csv``; source, decree and licence in ``data/README.md``). The
polygons are loaded once per process into a shapely ``STRtree`` (``boundaries()``; call ``warm()`` at
start so that no complaint pays for it); 144 of them are not OGC-valid after simplification and are
repaired with ``make_valid``.

``locate_point`` answers, for a point inside Indonesia's bounds:

- ``inside``: the point lies in exactly one polygon (on a shared border, the first in code order);
- ``near``: it lies in none (the coast, a small island, a gap the simplification left) but a polygon is
  within ``max_distance_m``: that region, marked approximate, with the distance;
- ``none``: nothing within that distance (at sea): the caller falls back to the text or region code.

A point outside ``INDONESIA`` (a box around the archipelago with a margin) is not looked up at all:
``outside_indonesia`` says so, and intake refuses such a submission with a reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

INDONESIA = (-11.5, 94.5, 6.5, 141.5)
"""(south, west, north, east) in degrees: the archipelago from Rote to Weh and from Sabang to Merauke,
with some sea around it."""
DEFAULT_MAX_DISTANCE_M = 5_000.0
_EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE = math.pi * _EARTH_RADIUS_M / 180


@dataclass(frozen=True, slots=True)
class PointPlace:
    status: Literal["inside", "near", "none"]
    code: str | None = None
    distance_m: float = 0.0
    """How far the point is from the region's polygon (0 when inside)."""

    @property
    def found(self) -> bool:
        return self.code is not None


@dataclass(frozen=True)
class Boundaries:
    codes: tuple[str, ...]
    tree: STRtree

    @classmethod
    def load(cls) -> Boundaries:
        text = resources.files("lapor_shared.data").joinpath("regency-boundaries.geojson").read_text("utf-8")
        features = sorted(json.loads(text)["features"], key=lambda f: f["properties"]["code"])
        codes, geometries = [], []
        for feature in features:
            geometry = shape(feature["geometry"])
            if not geometry.is_valid:
                geometry = _repaired(geometry)
            codes.append(feature["properties"]["code"])
            geometries.append(geometry)
        return cls(tuple(codes), STRtree(geometries))

    def locate(self, latitude: float, longitude: float,
               max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> PointPlace:
        point = Point(longitude, latitude)
        inside = sorted(self.tree.query(point, predicate="intersects"))
        if inside:
            return PointPlace("inside", self.codes[inside[0]])
        # the index works in degrees: search a box wide enough for the distance at this latitude, then
        # measure the candidate in metres on the sphere
        reach = max_distance_m / (_METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.1))
        found = self.tree.query_nearest(point, max_distance=reach, all_matches=False)
        if len(found) == 0:
            return PointPlace("none")
        index = int(found[0])
        nearest, _ = nearest_points(self.tree.geometries[index], point)
        distance = haversine_m(latitude, longitude, nearest.y, nearest.x)
        if distance > max_distance_m:
            return PointPlace("none")
        return PointPlace("near", self.codes[index], round(distance, 1))


def _repaired(geometry: BaseGeometry) -> BaseGeometry:
    """A valid polygon covering the same ground (self-intersections from the simplification)."""
    try:
        return shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    except shapely.errors.GEOSException:  # a ring that collapsed to a line: the buffer trick repairs it
        return geometry.buffer(0)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def outside_indonesia(latitude: float, longitude: float) -> bool:
    south, west, north, east = INDONESIA
    return not (south <= latitude <= north and west <= longitude <= east)


@cache
def boundaries() -> Boundaries:
    """The index, built on first use (about a second) and kept for the life of the process."""
    return Boundaries.load()


def warm() -> None:
    """Build the index now (a service's start-up), not on its first complaint."""
    boundaries()


def locate_point(latitude: float, longitude: float, max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> PointPlace:
    return boundaries().locate(latitude, longitude, max_distance_m)
