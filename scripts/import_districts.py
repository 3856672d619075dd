"""Write knowledge/districts.json: Taichung's 29 districts with their boundaries, centres and neighbours.

    python scripts/import_districts.py twVillage1982.topo.json

The input is the village-level TopoJSON of g0v/twgeojson (json/twVillage1982.topo.json, from 內政部's village
boundaries, quantised to about 12 m; https://github.com/g0v/twgeojson): finer than its town-level file. A district's
outline is made of the arcs only one of its villages uses (the others lie between two of its villages). The 2010 merger turned 臺中縣's 21 townships and 臺中市's 8 districts
into today's 29 districts of 臺中市 with the same boundaries, so each old town is one district (its offshore part,
「(海)」, joined to it). Run once when the boundaries change; the bot reads only the JSON it writes, never the network.

For each district: its outline (rounded to 4 decimals, about 10 m), its bounding box, its centre (the area-weighted
centroid of its largest part, used where a place's own coordinates are not known) and its neighbours (districts whose
outlines share an arc).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.nlu.facts import DISTRICT_ROMAN as ROMAN  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "knowledge" / "districts.json"

# The words for "district"; the romanised names come from app.nlu.facts, which reads districts people name.
DISTRICT_WORD = {"en": "{name} District", "id": "Distrik {name}", "vi": "Quận {name}", "th": "เขต{name}"}


def district_name(county: str, town: str) -> str:
    """台中縣 大甲鎮 → 大甲區, 台中市 北屯區 → 北屯區, 台中縣 清水鎮(海) → 清水區."""
    name = town.replace("(海)", "")
    return name if county == "台中市" else name[:-1] + "區"


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """TopoJSON arcs as quantised integer positions (delta-encoded in the file), so shared end points match exactly."""
    return [np.cumsum(np.array(arc, dtype=np.int64), axis=0) for arc in topology["arcs"]]


def outer_rings(geometry: dict) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"][0]]
    return [polygon[0] for polygon in geometry["arcs"]]


def chain(arc_ids: set[int], arcs: list[np.ndarray]) -> list[np.ndarray]:
    """Join boundary arcs end to end into closed rings."""
    by_end: dict[tuple, list[int]] = {}
    for i in arc_ids:
        by_end.setdefault(tuple(arcs[i][0]), []).append(i)
        by_end.setdefault(tuple(arcs[i][-1]), []).append(i)
    left, rings = set(arc_ids), []
    while left:
        first = left.pop()
        parts, start, here = [arcs[first]], tuple(arcs[first][0]), tuple(arcs[first][-1])
        while here != start:
            following = next(j for j in by_end[here] if j in left)
            left.discard(following)
            arc = arcs[following] if tuple(arcs[following][0]) == here else arcs[following][::-1]
            parts.append(arc[1:])
            here = tuple(arc[-1])
        rings.append(np.vstack(parts))
    return rings


def area_centroid(ring: np.ndarray) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    return (float(((x[:-1] + x[1:]) * cross).sum() / (6 * area)), float(((y[:-1] + y[1:]) * cross).sum() / (6 * area)))


def ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(float((x[:-1] * y[1:] - x[1:] * y[:-1]).sum()) / 2)


def main(path: str) -> int:
    topology = json.loads(Path(path).read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    scale, translate = np.array(topology["transform"]["scale"]), np.array(topology["transform"]["translate"])
    uses: dict[str, Counter] = {}
    for geometry in topology["objects"]["layer1"]["geometries"]:
        props = geometry["properties"]
        if props.get("COUNTYNAME") not in ("台中縣", "台中市") or "arcs" not in geometry:
            continue
        name = district_name(props["COUNTYNAME"], props["TOWNNAME"])
        for ring in outer_rings(geometry):
            uses.setdefault(name, Counter()).update(i if i >= 0 else ~i for i in ring)
    assert set(uses) == set(ROMAN), sorted(set(uses) ^ set(ROMAN))
    boundary = {name: {i for i, n in counted.items() if n == 1} for name, counted in uses.items()}

    districts = []
    for name, arc_ids in boundary.items():
        parts = [ring * scale + translate for ring in chain(arc_ids, arcs)]
        lon, lat = area_centroid(max(parts, key=ring_area))
        everything = np.vstack(parts)
        neighbours = [other for other, theirs in boundary.items() if other != name and arc_ids & theirs]
        districts.append({
            "name": name,
            "names": {lang: word.format(name=ROMAN[name]) for lang, word in DISTRICT_WORD.items()},
            "centre": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "bounds": {"south": round(float(everything[:, 1].min()), 4), "west": round(float(everything[:, 0].min()), 4),
                       "north": round(float(everything[:, 1].max()), 4), "east": round(float(everything[:, 0].max()), 4)},
            "neighbours": sorted(neighbours, key=list(ROMAN).index),
            "outline": [[[round(float(lon), 4), round(float(lat), 4)] for lon, lat in ring] for ring in parts],
        })
    districts.sort(key=lambda d: list(ROMAN).index(d["name"]))
    document = {
        "source": {
            "title": "內政部村里界線（g0v/twgeojson json/twVillage1982.topo.json）",
            "url": "https://github.com/g0v/twgeojson",
            "year": 2013,
        },
        "districts": districts,
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(districts)} districts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
