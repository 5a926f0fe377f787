"""Demo desks and problems for the Inner Mongolia demo province (registry/demo.py), February 2020.

What it builds, the same on every run (one seeded generator over the demo enterprises in USCC
order):
- desks of the province, of Baotou and Hohhot and of Kundulun district, with handler accounts
  (password as for every demo login) — the demo's `handler` (the province's human resources
  department) joins its desk;
- Baotou's own routing rule: funds and financing go to the central bank's branch (seed 003: 126
  enterprises referred to the central bank's financing platform);
- 60 problems raised from 3 to 21 February 2020 through the real services with the clock set to
  each step's moment: some waiting, some accepted or in progress, answered, confirmed and rated,
  reopened, transferred, closed (a late problem stops where 22 February finds it); the demo
  reporter's enterprise has one answered and waiting for its confirmation; then the overdue sweep
  as of 22 February 09:00 escalates what is late.

Enterprises without a reporter account get one with no usable password: the demo needs someone
to confirm and rate on their behalf, and nobody can log in as them.

Idempotent: desks, rules and users are matched by their keys; the problems are only made when
the province has none.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from registry.demo import PASSWORD, PROVINCE
from registry.models import Enterprise
from workdays.calendar import is_workday

from . import actions
from .models import Department, Problem, RoutingRule

SEED = 20200217
PROBLEMS = 60
FIRST, LAST = date(2020, 2, 3), date(2020, 2, 21)
SWEEP = (2020, 2, 22, 9, 0)

# (region, kind, name, handler usernames)
DESKS = [
    (PROVINCE, "industry", "内蒙古自治区工业和信息化厅", []),
    (PROVINCE, "human_resources", "内蒙古自治区人力资源和社会保障厅", ["handler"]),
    (PROVINCE, "transport", "内蒙古自治区交通运输厅", ["nmg_transport"]),
    (PROVINCE, "finance_office", "内蒙古自治区地方金融监督管理局", ["nmg_finance"]),
    (PROVINCE, "commerce", "内蒙古自治区商务厅", ["nmg_commerce"]),
    (PROVINCE, "customs", "呼和浩特海关", ["nmg_customs"]),
    (PROVINCE, "development_reform", "内蒙古自治区发展和改革委员会", ["nmg_ndrc"]),
    (PROVINCE, "market_regulation", "内蒙古自治区市场监督管理局", ["nmg_samr"]),
    ("150200", "industry", "包头市工业和信息化局", []),
    ("150200", "human_resources", "包头市人力资源和社会保障局", ["baotou_hr"]),
    ("150200", "transport", "包头市交通运输局", ["baotou_transport"]),
    ("150200", "central_bank", "中国人民银行包头市中心支行", ["baotou_pbc"]),
    ("150200", "commerce", "包头市商务局", ["baotou_commerce"]),
    ("150100", "human_resources", "呼和浩特市人力资源和社会保障局", ["hohhot_hr"]),
    ("150100", "transport", "呼和浩特市交通运输局", ["hohhot_transport"]),
    ("150203", "industry", "昆都仑区工业和信息化局", []),
    ("150203", "human_resources", "昆都仑区人力资源和社会保障局", ["kundulun_hr"]),
]
# username → (region, department); every desk but a 工信 one has a handler (officials work those)
HANDLERS = {
    "nmg_transport": (PROVINCE, "内蒙古自治区交通运输厅"),
    "nmg_finance": (PROVINCE, "内蒙古自治区地方金融监督管理局"),
    "nmg_commerce": (PROVINCE, "内蒙古自治区商务厅"),
    "nmg_customs": (PROVINCE, "呼和浩特海关"),
    "nmg_ndrc": (PROVINCE, "内蒙古自治区发展和改革委员会"),
    "nmg_samr": (PROVINCE, "内蒙古自治区市场监督管理局"),
    "baotou_commerce": ("150200", "包头市商务局"),
    "hohhot_transport": ("150100", "呼和浩特市交通运输局"),
    "baotou_hr": ("150200", "包头市人力资源和社会保障局"),
    "baotou_transport": ("150200", "包头市交通运输局"),
    "baotou_pbc": ("150200", "中国人民银行包头市中心支行"),
    "hohhot_hr": ("150100", "呼和浩特市人力资源和社会保障局"),
    "kundulun_hr": ("150203", "昆都仑区人力资源和社会保障局"),
}
RULES = [("funds", "150200", "central_bank")]

CATEGORIES = [
    ("labour", 14),
    ("raw_materials", 8),
    ("transport", 9),
    ("funds", 7),
    ("energy", 3),
    ("prevention_supplies", 6),
    ("backlog", 3),
    ("delivery", 2),
    ("customs", 2),
    ("approvals", 2),
    ("qualification", 1),
    ("inspection", 1),
    ("policy", 3),
    ("warehousing", 1),
]
TEXTS = {
    "labour": ["外省员工返岗受阻，缺一线操作工{n}名", "需要协调专车接回外地员工{n}人"],
    "raw_materials": ["主要原料供应商未复工，库存仅够{n}天", "上游焦炭断供，需协调调运"],
    "transport": ["原料运输车辆在检查站被劝返", "产品外运受限，积压{n}车待发"],
    "funds": ["流动资金紧张，{n}万元贷款即将到期，申请续贷", "需要纳入人民银行融资平台"],
    "energy": ["天然气供应不足，影响窑炉点火", "申请阶段性降低用电成本"],
    "prevention_supplies": ["口罩缺口{n}个，无法满足复工要求", "缺少测温枪和消毒液"],
    "backlog": ["春节前成品积压，下游客户未复工", "产品积压{n}吨，请求协调销售渠道"],
    "delivery": ["出口订单无法按期交付，需开具不可抗力证明"],
    "customs": ["进口设备配件通关缓慢"],
    "approvals": ["新建项目环评手续因疫情停滞"],
    "qualification": ["生产许可证到期，需办理延续"],
    "inspection": ["产品送检机构未开放"],
    "policy": ["咨询社保费减免政策适用条件", "咨询稳岗补贴申请流程"],
    "warehousing": ["仓储场地不足，需临时租用"],
}
ANSWERS = [
    "已与相关部门协调，{d}日前解决",
    "已安排专人对接，企业已收到回复",
    "已纳入重点保障企业名单，开通绿色通道",
    "已协调落实，请企业按通知办理",
]
FATES = [
    ("waiting", 8),
    ("accepted", 6),
    ("in_progress", 8),
    ("answered", 8),
    ("confirmed", 10),
    ("closed", 14),
    ("reopened", 3),
    ("transferred", 3),
]
OFFICIALS = {PROVINCE: "nmg_official", "150200": "baotou_official", "150203": "kundulun_official"}


@dataclass
class Result:
    desks_created: int = 0
    users_created: list[str] = field(default_factory=list)
    problems_created: int = 0
    problems_kept: int = 0
    escalated: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _user(username: str, result: Result, **fields) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(PASSWORD)
        user.save()
        result.users_created.append(username)
    return user


def _stand_in(enterprise: Enterprise) -> User:
    """The enterprise's reporter; one that cannot log in when it has none."""
    user = User.objects.filter(enterprise=enterprise, role=Role.REPORTER).order_by("pk").first()
    if user is None:
        user = User(username=f"ent_{enterprise.uscc}", role=Role.REPORTER, enterprise=enterprise)
        user.set_unusable_password()
        user.save()
    return user


def ensure_desks(result: Result) -> None:
    for username, (region, department) in HANDLERS.items():
        _user(username, result, role=Role.HANDLER, region_id=region, department=department)
    for region, kind, name, members in DESKS:
        desk, created = Department.objects.get_or_create(
            region_id=region, kind=kind, defaults={"name": name}
        )
        result.desks_created += created
        people = list(User.objects.filter(username__in=members))
        desk.members.add(*people)
    for category, region, kind in RULES:
        RoutingRule.objects.get_or_create(
            category=category, region_id=region, defaults={"kind": kind}
        )


def _moment(rng: random.Random, day: date, earliest: int = 8, latest: int = 17) -> datetime:
    return timezone.make_aware(
        datetime(
            day.year, day.month, day.day, rng.randint(earliest, latest), rng.choice((0, 20, 40))
        )
    )


def _later(rng: random.Random, moment: datetime, hours: tuple[int, int]) -> datetime:
    """A moment some working hours later, moved off days off (to 09:xx of the next working day)."""
    then = moment + timedelta(hours=rng.randint(*hours), minutes=rng.choice((5, 15, 35)))
    local = timezone.localtime(then)
    day = local.date()
    if local.hour >= 18 or local.hour < 8 or not is_workday(day):
        day += timedelta(days=1)
        while not is_workday(day):
            day += timedelta(days=1)
        then = timezone.make_aware(datetime(day.year, day.month, day.day, 9, rng.choice((5, 25))))
    return then


def _official_over(code: str) -> User:
    """The demo official nearest above a region (who may act for it)."""
    for region in (code, code[:4] + "00", PROVINCE):
        if region in OFFICIALS:
            return User.objects.get(username=OFFICIALS[region])
    raise LookupError(code)


def _desk_actor(problem: Problem) -> User:
    if problem.handler_id:
        return problem.handler  # type: ignore[return-value]
    member = problem.department.members.filter(is_active=True).order_by("pk").first()
    if member is not None:
        return member
    return _official_over(problem.department.region_id)


class _Later(Exception):
    """A step that would fall after the sweep: the problem stays where it is."""


def _act(name: str, actor: User, problem: Problem, moment: datetime, **values) -> Problem:
    if moment >= timezone.make_aware(datetime(*SWEEP)):
        raise _Later
    with _at(moment):
        fresh = Problem.objects.get(pk=problem.pk)
        return actions.act(
            actor=actor, problem_id=fresh.pk, action=name, version=fresh.version, **values
        )


def _play(
    rng: random.Random, enterprise: Enterprise, day: date, fate: str, own: bool = False
) -> None:
    """Raise a problem and take it towards its fate, as far as 22 February allows."""
    try:
        _steps(rng, enterprise, day, fate, own)
    except _Later:
        pass


def _steps(rng: random.Random, enterprise: Enterprise, day: date, fate: str, own: bool) -> Problem:
    category = _weighted(rng, CATEGORIES)
    text = rng.choice(TEXTS[category]).format(n=rng.choice((5, 12, 20, 30, 50, 80, 200)))
    urgency = _weighted(rng, [("normal", 7), ("urgent", 2), ("critical", 1)])
    raised = _moment(rng, day)
    by_enterprise = rng.random() < 0.7 or own
    raiser = _stand_in(enterprise) if by_enterprise else _official_over(enterprise.region_id)
    with _at(raised):
        p = actions.raise_problem(
            actor=raiser,
            enterprise=enterprise,
            category=category,
            description=text,
            urgency=urgency,
        )
    if fate == "waiting":
        return p
    if fate == "transferred":
        kinds = ["transport", "commerce", "human_resources"]
        target = next(
            (
                k
                for k in kinds
                if k != p.department.kind
                and Department.objects.filter(region_id=p.department.region_id, kind=k).exists()
            ),
            None,
        )
        if target is not None:
            actor = _official_over(p.department.region_id)
            p = _act(
                "transfer",
                actor,
                p,
                _later(rng, raised, (1, 4)),
                department=target,
                note="经核实属其他部门职责，转办",
            )
        return p
    late = rng.random() < 0.15
    accepted = _later(rng, raised, (20, 30) if late else (1, 5))
    p = _act("accept", _desk_actor(p), p, accepted)
    if fate == "accepted":
        return p
    started = _later(rng, accepted, (1, 3))
    p = _act("start", _desk_actor(p), p, started, note="已与企业电话沟通，了解具体情况")
    if fate == "in_progress":
        return p
    answered = _later(rng, started, (3, 40))
    soon = timezone.localdate(answered) + timedelta(days=2)
    p = _act(
        "answer",
        _desk_actor(p),
        p,
        answered,
        text=rng.choice(ANSWERS).format(d=f"{soon.month}月{soon.day}"),
    )
    if fate == "answered":
        return p
    owner = _stand_in(enterprise)
    if fate == "reopened":
        p = _act(
            "reopen", owner, p, _later(rng, answered, (2, 20)), note="问题仍未解决，请继续协调"
        )
        return p
    rating = _weighted(rng, [(5, 50), (4, 30), (3, 10), (2, 7), (1, 3)])
    confirmed = _later(rng, answered, (1, 24))
    p = _act(
        "confirm",
        owner,
        p,
        confirmed,
        rating=rating,
        note="感谢协调" if rating >= 4 else "解决得较慢",
    )
    if fate == "closed":
        p = _act("close", _desk_actor(p), p, _later(rng, confirmed, (1, 4)))
    return p


def _enterprises(rng: random.Random) -> list[Enterprise]:
    """The demo's enterprises to raise problems, Baotou and Hohhot more often, the demo
    reporter's own first."""
    pool = list(Enterprise.objects.filter(region__code__startswith="15").order_by("uscc"))
    weights = [4 if e.region_id.startswith(("1502", "1501")) else 1 for e in pool]
    chosen = rng.choices(pool, weights=weights, k=PROBLEMS)
    reporter = User.objects.filter(username="reporter").select_related("enterprise").first()
    if reporter is not None and reporter.enterprise is not None:
        chosen[:2] = [reporter.enterprise, reporter.enterprise]
    return chosen


def load() -> Result:
    """Add the desks, rules, handlers and (on a province without any) the problems."""
    started = time.perf_counter()
    result = Result()
    with transaction.atomic():
        ensure_desks(result)
        existing = Problem.objects.filter(county__startswith=PROVINCE[:2]).count()
        if existing:
            result.problems_kept = existing
        else:
            rng = random.Random(SEED)
            days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
            for n, enterprise in enumerate(_enterprises(rng)):
                # the demo reporter: one answered (for it to confirm), one confirmed and rated
                fate = ("answered", "closed")[n] if n < 2 else _weighted(rng, FATES)
                day = days[min(len(days) - 1, int(rng.random() ** 0.7 * len(days)))]
                if n < 2:  # early enough to have got that far by the 22nd
                    day = days[2 + n]
                _play(rng, enterprise, day, fate, own=n < 2)
                result.problems_created += 1
            result.escalated = actions.escalate_overdue(now=timezone.make_aware(datetime(*SWEEP)))
    counts = Problem.objects.filter(county__startswith=PROVINCE[:2]).values_list(
        "status", flat=True
    )
    for status in counts:
        result.by_status[status] = result.by_status.get(status, 0) + 1
    result.seconds = time.perf_counter() - started
    return result


def logins() -> list[tuple[str, str]]:
    """(username, what the login is) for the desk handlers, for load_demo to print."""
    return [(u, f"handler  {d}") for u, (_, d) in HANDLERS.items()]
