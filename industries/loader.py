"""Load GB/T 4754-2017 from the shipped CSV; re-running changes nothing, corrections update in place."""

import csv
from pathlib import Path

from django.db import transaction

from .models import Industry

CSV = Path(__file__).parent / "data" / "gbt4754_2017.csv"


@transaction.atomic
def load_industries(path: Path = CSV) -> dict[str, int]:
    existing = {i.code: i for i in Industry.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    new = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            wanted = {
                "level": int(row["level"]),
                "section": row["section"],
                "division": row["division"],
                "name": row["name"],
                "note": row["note"],
            }
            current = existing.get(row["code"])
            if current is None:
                new.append(Industry(code=row["code"], **wanted))
                counts["created"] += 1
                continue
            changed = [k for k, v in wanted.items() if getattr(current, k) != v]
            if changed:
                for k in changed:
                    setattr(current, k, wanted[k])
                current.save(update_fields=changed)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
    Industry.objects.bulk_create(new)
    return counts
