"""Where a problem goes: the routing rule (category × region → department kind), the desk of that
kind nearest up the region tree, and the member of that desk with the fewest open problems.

- Rule: among the rules of the category on the county, its city, its province and the national
  default (no region), the most specific wins; with none at all, 工信 (industry).
- Desk: a desk of that kind in the county, else its city, else its province; failing that the
  工信 desk nearest up the tree; failing that a 工信 desk is opened for the county (the officials'
  own desk always exists, even before anyone has entered it).
- Handler: an active member of the desk with the fewest open problems (at any desk); ties go to
  the lowest user id, so the choice is stable.
"""

from django.db.models import Count, Q

from accounts.models import User
from regions.models import Level, Region

from .models import OPEN, Department, DepartmentKind, RoutingRule

INDUSTRY = DepartmentKind.INDUSTRY.value

# kind → (a province's department, a city's or county's), for desks opened without a name
NAMES: dict[str, tuple[str, str]] = {
    "industry": ("工业和信息化厅", "工业和信息化局"),
    "human_resources": ("人力资源和社会保障厅", "人力资源和社会保障局"),
    "transport": ("交通运输厅", "交通运输局"),
    "finance_office": ("地方金融监督管理局", "金融工作办公室"),
    "central_bank": ("人民银行分行", "人民银行中心支行"),
    "commerce": ("商务厅", "商务局"),
    "customs": ("海关", "海关"),
    "development_reform": ("发展和改革委员会", "发展和改革委员会"),
    "market_regulation": ("市场监督管理局", "市场监督管理局"),
    "health": ("卫生健康委员会", "卫生健康委员会"),
    "tax": ("税务局", "税务局"),
    "natural_resources": ("自然资源厅", "自然资源局"),
    "housing": ("住房和城乡建设厅", "住房和城乡建设局"),
    "emergency": ("应急管理厅", "应急管理局"),
}


def up_the_tree(code: str) -> list[str]:
    """The region and the regions above it, most specific first: 150203 → 150203, 150200, 150000."""
    chain = [code, code[:4] + "00", code[:2] + "0000"]
    return list(dict.fromkeys(chain))


def kind_for(category: str, county: str) -> str:
    """The department kind responsible for a category in a county (the most specific rule)."""
    chain = up_the_tree(county)
    rules = dict(
        RoutingRule.objects.filter(category=category)
        .filter(Q(region__isnull=True) | Q(region_id__in=chain))
        .values_list("region_id", "kind")
    )
    for code in [*chain, None]:
        if code in rules:
            return rules[code]
    return INDUSTRY


def default_name(region: Region, kind: str) -> str:
    province, local = NAMES.get(kind, (kind, kind))
    return region.name + (province if region.level == Level.PROVINCE else local)


def _open_industry_desk(code: str) -> Department:
    region = Region.objects.get(code=code)
    desk, _ = Department.objects.get_or_create(
        region=region, kind=INDUSTRY, defaults={"name": default_name(region, INDUSTRY)}
    )
    return desk


def desk_for(kind: str, county: str) -> Department:
    """The desk of `kind` nearest up the tree from the county, else the nearest 工信 desk."""
    chain = up_the_tree(county)
    desks = {
        (d.region_id, d.kind): d
        for d in Department.objects.filter(kind__in={kind, INDUSTRY}, region_id__in=chain)
    }
    for wanted in (kind, INDUSTRY):
        for code in chain:
            if (code, wanted) in desks:
                return desks[(code, wanted)]
    return _open_industry_desk(chain[0])


def desk_at(region_code: str, kind: str) -> Department:
    """The desk of `kind` in exactly this region, else its 工信 desk (opened if need be)."""
    desks = {
        d.kind: d
        for d in Department.objects.filter(region_id=region_code, kind__in={kind, INDUSTRY})
    }
    return desks.get(kind) or desks.get(INDUSTRY) or _open_industry_desk(region_code)


def pick_handler(desk: Department) -> User | None:
    """The active member with the fewest open problems; the lowest id among equals."""
    return (
        desk.members.filter(is_active=True)
        .annotate(load=Count("handled_problems", filter=Q(handled_problems__status__in=OPEN)))
        .order_by("load", "pk")
        .first()
    )


def route(category: str, county: str) -> tuple[Department, User | None]:
    desk = desk_for(kind_for(category, county), county)
    return desk, pick_handler(desk)
