"""The Inner Mongolia demo province: a deterministic register of above-scale industry, parks and users."""

import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Role, User
from industries.loader import load_industries
from industries.models import Industry
from industries.models import Level as IndustryLevel
from industries.sizes import size_class
from lib.uscc import make as make_uscc
from regions.loader import load_regions
from regions.models import Level as RegionLevel
from regions.models import Region

from .models import Contact, Enterprise, EnterpriseTag, KeyProject, Park, Tag
from .signals import enterprises_changed

SEED = 2020
PASSWORD = "fugong-demo-2020"  # noqa: S105 (printed on purpose: demo accounts only)
PROVINCE = "150000"
# Seed 003: 68.7万 back at work was a 64.5 % return rate, so about 106万 normally employed.
TARGET_HEADCOUNT = 1_060_000
LEADING_SHARE = 0.03
BACKBONE_SHARE = 0.10
PARK_SHARE = 0.35
KEY_PROJECTS = 40
# Above designated size (规模以上) means main-business revenue of at least 20 million yuan.
ABOVE_SCALE_REVENUE = 2000


class DemoError(RuntimeError):
    """The reference data lacks a region or industry the demo needs."""


# --- the province ------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str
    short: str  # "" when enterprises there are named after the city instead
    weight: float
    # multipliers on the city's industry weights, by code prefix; "*" applies to the rest
    bias: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class City:
    code: str
    short: str
    enterprises: int
    counties: tuple[County, ...]
    industries: dict[str, float]
    parks: tuple[tuple[str, str], ...]  # (county code, park name)


NO_MINES = {"06": 0.0, "07": 0.0, "08": 0.0, "09": 0.0}

# fmt: off
CITIES: tuple[City, ...] = (
    City(
        "150100",
        "呼和浩特",
        330,
        (
            County("150102", "", 8, NO_MINES),
            County("150103", "", 5, {**NO_MINES, "31": 0.2, "32": 0.2, "26": 0.3}),
            County("150104", "", 8, {**NO_MINES, "31": 0.3, "32": 0.3}),
            County("150105", "赛罕", 18, {**NO_MINES, "38": 2, "39": 3}),
            County("150121", "土左", 20, {"14": 2, "27": 2, "38": 2, "06": 0}),
            County("150122", "托克托", 14, {"44": 4, "26": 3, "27": 2, "32": 2}),
            County("150123", "和林格尔", 14, {"14": 3, "15": 2, "06": 0}),
            County("150124", "清水河", 4, {"06": 8, "30": 2}),
            County("150125", "武川", 3, {"13": 2, "06": 0}),
        ),
        {
            "1441": 14, "1442": 5, "1449": 3, "1351": 3, "1353": 2, "1313": 2, "1431": 3,
            "1495": 2, "1512": 2, "1513": 1, "1524": 2, "2710": 6, "2720": 6, "2740": 3, "2761": 3,
            "2762": 1, "2770": 1, "4411": 4, "4412": 4, "4415": 2, "4416": 3, "4430": 4, "3825": 4,
            "3985": 3, "3218": 2, "3216": 1, "3011": 2, "3021": 3, "3130": 2, "3311": 2, "3484": 2,
            "2614": 2, "2619": 1, "2652": 1, "2221": 1, "2311": 2, "4610": 2, "4511": 2, "3670": 2,
            "1721": 1, "0610": 1, "3571": 1,
        },
        (
            ("150121", "呼和浩特金山高新技术产业开发区"),
            ("150105", "呼和浩特经济技术开发区"),
            ("150122", "托克托工业园区"),
            ("150123", "和林格尔盛乐经济园区"),
        ),
    ),
    City(
        "150200",
        "包头",
        410,
        (
            County("150202", "东河", 10, {"3216": 3, "3252": 3, "13": 2, "14": 2}),
            County("150203", "昆都仑", 20, {**NO_MINES, "31": 3, "3232": 2}),
            County("150204", "青山", 16, {**NO_MINES, "33": 2, "34": 2, "35": 3, "36": 3, "37": 3}),
            County("150205", "石拐", 4, {"06": 6, "08": 3, "*": 0.5}),
            County("150206", "白云鄂博", 3, {"0932": 12, "08": 8, "*": 0.1}),
            County("150207", "九原", 20, {"32": 2.5, "44": 1.5}),
            County("150221", "土右", 14, {"44": 3, "26": 2, "13": 2}),
            County("150222", "固阳", 6, {"08": 8, "*": 0.5}),
            County("150223", "达茂", 7, {"08": 6, "09": 4, "4415": 6, "4416": 4, "*": 0.4}),
        ),
        {
            "3110": 4, "3120": 8, "3130": 14, "3140": 4, "3216": 6, "3252": 6, "3232": 10,
            "3239": 5, "3254": 4, "0932": 3, "0810": 6, "0610": 4, "3511": 5, "3514": 2, "3516": 3,
            "3611": 2, "3660": 2, "3670": 4, "3715": 2, "3415": 4, "3811": 2, "3825": 3, "3484": 5,
            "3311": 6, "3391": 4, "4411": 4, "4412": 5, "4415": 4, "4416": 3, "4430": 4, "2614": 3,
            "2619": 2, "2621": 1, "3011": 3, "3021": 4, "3091": 3, "1351": 3, "1441": 2, "1313": 1,
            "1721": 2, "2720": 2, "2710": 1, "2221": 1, "4610": 1,
        },
        (
            ("150207", "包头稀土高新技术产业开发区"),
            ("150204", "包头装备制造产业园区"),
            ("150202", "包头铝业产业园区"),
            ("150203", "包头金属深加工园区"),
        ),
    ),
    City(
        "150300",
        "乌海",
        110,
        (
            County("150302", "海勃湾", 35, {"1515": 3}),
            County("150303", "", 35, {"26": 1.5}),
            County("150304", "乌达", 30, {"06": 1.5, "2521": 1.5}),
        ),
        {
            "0610": 18, "2521": 12, "2614": 10, "2611": 4, "2612": 3, "2613": 4, "2619": 5,
            "2652": 3, "2651": 4, "3140": 5, "3218": 3, "3011": 4, "3091": 3, "4411": 5, "4412": 3,
            "4416": 2, "4430": 2, "1515": 2, "1441": 1, "3021": 2,
        },
        (
            ("150303", "乌海经济开发区"),
            ("150304", "乌达工业园区"),
            ("150302", "海勃湾千里山工业园区"),
        ),
    ),
    City(
        "150400",
        "赤峰",
        300,
        (
            County("150402", "", 10, {**NO_MINES, "27": 3, "1512": 0.2}),
            County("150403", "元宝山", 10, {"0620": 6, "44": 3, "3212": 2}),
            County("150404", "松山", 12, {"13": 1.5}),
            County("150421", "阿鲁科尔沁", 6, {"09": 2, "13": 1.5}),
            County("150422", "巴林左旗", 7, {"09": 3}),
            County("150423", "巴林右旗", 6, {"09": 3}),
            County("150424", "林西", 6, {"09": 3}),
            County("150425", "克什克腾", 7, {"09": 3}),
            County("150426", "翁牛特", 7, {"13": 1.5}),
            County("150428", "喀喇沁", 8, {"32": 2}),
            County("150429", "宁城", 10, {"1512": 6}),
            County("150430", "敖汉", 7, {"1314": 4}),
        ),
        {
            "0912": 10, "0911": 4, "0921": 5, "0931": 3, "0919": 2, "3212": 5, "3211": 4,
            "3221": 3, "0610": 4, "0620": 4, "4411": 5, "4412": 4, "4415": 6, "4416": 3, "4430": 3,
            "2710": 5, "2720": 5, "2740": 3, "2761": 2, "1313": 3, "1331": 2, "1351": 6, "1352": 3,
            "1353": 2, "1371": 3, "1391": 2, "1441": 3, "1512": 4, "1314": 3, "1495": 2, "3011": 4,
            "3021": 4, "3130": 2, "3140": 3, "2621": 2, "2614": 2, "1721": 1, "2221": 1, "4610": 1,
        },
        (
            ("150402", "赤峰红山经济开发区"),
            ("150403", "赤峰元宝山经济开发区"),
            ("150429", "宁城经济开发区"),
        ),
    ),
    City(
        "150500",
        "通辽",
        230,
        (
            County("150502", "", 35, {"0620": 0}),
            County("150521", "科左中旗", 8),
            County("150522", "科左后旗", 8),
            County("150523", "开鲁", 11, {"13": 2}),
            County("150524", "库伦", 5),
            County("150525", "奈曼", 8),
            County("150526", "扎鲁特", 10, {"0620": 3}),
            County("150581", "霍林郭勒", 15, {"32": 6, "0620": 6, "44": 3, "*": 0.3}),
        ),
        {
            "3216": 6, "3252": 6, "3219": 2, "0620": 10, "4411": 5, "4412": 4, "4415": 5,
            "1313": 12, "1391": 6, "1461": 5, "1495": 4, "1351": 8, "1352": 2, "1353": 3,
            "1441": 2, "2710": 4, "2720": 3, "2761": 3, "2621": 2, "2614": 2, "3011": 3, "3021": 3,
            "3130": 2, "1512": 2, "4430": 2, "2221": 1, "1340": 1,
        },
        (
            ("150502", "通辽经济技术开发区"),
            ("150581", "霍林郭勒工业园区"),
            ("150523", "开鲁经济开发区"),
        ),
    ),
    City(
        "150600",
        "鄂尔多斯",
        420,
        (
            County("150602", "", 14, {"17": 4, "0610": 0.4, "36": 3, "38": 2}),
            County("150603", "康巴什", 3, {**NO_MINES, "25": 0, "26": 0, "31": 0, "32": 0}),
            County("150621", "达拉特", 12, {"44": 3, "26": 1.5, "0610": 0.5}),
            County("150622", "准格尔", 22, {"0610": 1.5, "32": 2, "2523": 2}),
            County("150623", "鄂托克前旗", 5, {"26": 2}),
            County("150624", "鄂托克", 13, {"31": 4, "32": 3, "26": 2, "2521": 3}),
            County("150625", "杭锦", 5, {"0721": 3, "4416": 3}),
            County("150626", "乌审", 9, {"0721": 8, "4511": 3, "26": 2}),
            County("150627", "伊金霍洛", 17, {"0610": 1.6, "2523": 2, "3612": 4, "3841": 4}),
        ),
        {
            "0610": 40, "2523": 5, "2522": 4, "2521": 4, "2614": 10, "2619": 4, "2621": 5,
            "2651": 5, "2652": 2, "2613": 2, "0721": 4, "4511": 3, "4411": 8, "4412": 5, "4415": 4,
            "4416": 5, "4430": 3, "3140": 5, "3218": 3, "3216": 2, "3011": 3, "3021": 3, "1721": 6,
            "1723": 3, "1351": 2, "1441": 1, "2761": 1, "3511": 2, "3670": 1, "3612": 1, "3841": 1,
            "3091": 2, "4610": 1,
        },
        (
            ("150621", "鄂尔多斯达拉特经济开发区"),
            ("150622", "准格尔经济开发区"),
            ("150603", "鄂尔多斯高新技术产业开发区"),
            ("150624", "鄂托克经济开发区"),
        ),
    ),
    City(
        "150700",
        "呼伦贝尔",
        210,
        (
            County("150702", "", 16, {"06": 0}),
            County("150703", "扎赉诺尔", 7, {"06": 6, "*": 0.4}),
            County("150721", "阿荣旗", 10, {"13": 2.5}),
            County("150722", "莫力达瓦", 9, {"13": 2.5}),
            County("150723", "鄂伦春", 6, {"20": 6, "22": 3}),
            County("150724", "鄂温克", 8, {"0620": 4, "44": 3, "26": 2}),
            County("150725", "陈巴尔虎", 5, {"0620": 4, "144": 2}),
            County("150726", "新左旗", 4, {"1351": 2}),
            County("150727", "新右旗", 5, {"09": 8, "*": 0.5}),
            County("150781", "满洲里", 8, {"20": 4, "06": 0}),
            County("150782", "牙克石", 9, {"20": 6, "22": 3}),
            County("150783", "扎兰屯", 8, {"13": 2}),
            County("150784", "额尔古纳", 5, {"1441": 2, "1522": 4}),
            County("150785", "根河", 4, {"20": 6, "22": 3}),
        ),
        {
            "0620": 14, "0610": 3, "0912": 4, "0911": 2, "0921": 1, "4411": 6, "4412": 5,
            "4415": 3, "4430": 4, "1441": 8, "1442": 4, "1351": 6, "1331": 3, "1313": 3, "1392": 3,
            "1391": 2, "1340": 1, "2011": 3, "2021": 2, "2211": 1, "2614": 3, "2621": 3, "3011": 3,
            "3021": 2, "2720": 2, "2740": 2, "1512": 2, "1522": 2, "1371": 2, "1372": 2,
        },
        (
            ("150702", "呼伦贝尔经济技术开发区"),
            ("150781", "满洲里边境经济合作区"),
            ("150782", "牙克石经济开发区"),
        ),
    ),
    City(
        "150800",
        "巴彦淖尔",
        210,
        (
            County("150802", "", 30, {**NO_MINES, "1312": 2}),
            County("150821", "五原", 14, {"1331": 2, "1373": 2}),
            County("150822", "磴口", 10, {"1373": 2}),
            County("150823", "乌拉特前旗", 14, {"44": 3, "26": 2, "2621": 3}),
            County("150824", "乌拉特中旗", 10, {"09": 3, "08": 3, "4415": 3}),
            County("150825", "乌拉特后旗", 10, {"09": 6, "32": 5, "26": 2, "*": 0.4}),
            County("150826", "杭锦后旗", 12, {"1512": 3, "13": 1.5}),
        ),
        {
            "1331": 10, "1340": 4, "1351": 10, "1353": 4, "1441": 4, "1442": 2, "1373": 6,
            "1371": 4, "1313": 3, "1312": 3, "1512": 4, "1495": 2, "1721": 3, "1723": 1, "0911": 5,
            "0912": 6, "0921": 2, "0810": 3, "3211": 4, "3212": 3, "2614": 3, "2621": 2, "2613": 2,
            "4411": 4, "4415": 5, "4416": 3, "3011": 2, "3021": 2, "3130": 2, "2720": 2,
        },
        (
            ("150802", "巴彦淖尔经济技术开发区"),
            ("150825", "乌拉特后旗工业园区"),
            ("150821", "五原工业园区"),
        ),
    ),
    City(
        "150900",
        "乌兰察布",
        230,
        (
            County("150902", "", 18, {"31": 0.5, "27": 3, "13": 2, "14": 2}),
            County("150921", "卓资", 7),
            County("150922", "化德", 6, {"18": 10, "1721": 4}),
            County("150923", "商都", 7, {"13": 2.5}),
            County("150924", "兴和", 7, {"3091": 8}),
            County("150925", "凉城", 8, {"3140": 3, "44": 2}),
            County("150926", "察右前旗", 14, {"31": 3, "32": 2}),
            County("150927", "察右中旗", 5),
            County("150928", "察右后旗", 5),
            County("150929", "四子王旗", 6, {"4415": 3}),
            County("150981", "丰镇", 12, {"31": 3, "44": 2}),
        ),
        {
            "3140": 18, "3218": 6, "3232": 1, "3091": 5, "4411": 6, "4412": 4, "4415": 7,
            "4416": 4, "4430": 3, "1351": 5, "1371": 5, "1391": 5, "1431": 3, "1441": 3, "1512": 2,
            "1522": 1, "2710": 2, "2720": 2, "2614": 3, "2619": 2, "3011": 4, "3021": 3, "3130": 3,
            "3415": 2, "3825": 1, "0810": 2, "1819": 1,
        },
        (
            ("150926", "乌兰察布察哈尔工业园区"),
            ("150981", "丰镇高新技术产业园区"),
            ("150921", "卓资工业园区"),
        ),
    ),
    City(
        "152200",
        "兴安",
        80,
        (
            County("152201", "乌兰浩特", 35),
            County("152202", "阿尔山", 6, {"1522": 5, "*": 0.5}),
            County("152221", "科右前旗", 18),
            County("152222", "科右中旗", 12),
            County("152223", "扎赉特", 16, {"1311": 5}),
            County("152224", "突泉", 13, {"09": 3}),
        ),
        {
            "1313": 4, "1311": 5, "1351": 6, "1353": 2, "1441": 2, "1512": 3, "1522": 2, "2720": 2,
            "2740": 2, "4411": 3, "4412": 3, "4415": 3, "4430": 2, "3011": 2, "3021": 2, "0912": 2,
            "2614": 1, "1331": 1, "2221": 1, "1392": 1,
        },
        (
            ("152201", "乌兰浩特经济技术开发区"),
            ("152223", "扎赉特工业园区"),
        ),
    ),
    City(
        "152500",
        "锡林郭勒",
        150,
        (
            County("152501", "二连浩特", 8, {**NO_MINES, "13": 1.5}),
            County("152502", "锡林浩特", 24, {"0620": 2}),
            County("152522", "阿巴嘎", 7, {"09": 3}),
            County("152523", "苏尼特左旗", 5),
            County("152524", "苏尼特右旗", 6, {"1351": 2}),
            County("152525", "东乌珠穆沁", 10, {"09": 3, "0620": 2}),
            County("152526", "西乌珠穆沁", 10, {"0620": 3, "32": 3}),
            County("152527", "太仆寺", 7),
            County("152528", "镶黄旗", 4),
            County("152529", "正镶白旗", 5),
            County("152530", "正蓝旗", 7, {"1449": 4, "44": 2}),
            County("152531", "多伦", 7, {"32": 4, "26": 3}),
        ),
        {
            "0620": 14, "0610": 2, "0912": 5, "0921": 2, "0919": 3, "4411": 6, "4412": 3,
            "4415": 6, "4416": 2, "4430": 3, "1351": 14, "1353": 4, "1441": 4, "1442": 2,
            "1449": 3, "1721": 2, "2614": 2, "3011": 2, "3021": 2, "3216": 2, "3140": 1, "1512": 1,
        },
        (
            ("152502", "锡林郭勒经济技术开发区"),
            ("152501", "二连浩特边境经济合作区"),
            ("152531", "多伦新型工业化园区"),
        ),
    ),
    City(
        "152900",
        "阿拉善",
        70,
        (
            County("152921", "", 80),
            County("152922", "阿拉善右旗", 8),
            County("152923", "额济纳", 12),
        ),
        {
            "2614": 8, "2613": 6, "2612": 4, "2619": 4, "2631": 3, "2661": 2, "2652": 1, "1494": 3,
            "0610": 4, "0921": 2, "0912": 2, "4415": 3, "4416": 4, "4411": 2, "3140": 2, "3218": 2,
            "3011": 1, "1351": 2, "2740": 2, "1491": 1,
        },
        (
            ("152921", "阿拉善高新技术产业开发区"),
            ("152923", "额济纳策克口岸工业园区"),
        ),
    ),
)
# fmt: on


@dataclass(frozen=True)
class Profile:
    words: tuple[str, ...]  # what the trade name says the enterprise makes
    scale: float  # typical headcount relative to an average plant
    revenue_per_head: float  # 万元 a year


# fmt: off
PROFILES: dict[str, Profile] = {
    "0610": Profile(("煤业", "矿业", "煤炭"), 1.6, 180),
    "0620": Profile(("煤业", "矿业"), 1.4, 150),
    "0721": Profile(("天然气", "油气"), 0.8, 250),
    "0810": Profile(("矿业", "铁矿"), 0.8, 90),
    "0911": Profile(("矿业", "铜业"), 0.9, 100),
    "0912": Profile(("矿业", "铅锌矿业"), 0.9, 100),
    "0919": Profile(("矿业",), 0.7, 90),
    "0921": Profile(("黄金矿业", "金矿"), 0.9, 120),
    "0931": Profile(("钼业", "矿业"), 0.8, 110),
    "0932": Profile(("稀土矿业",), 1.0, 120),
    "1311": Profile(("米业", "粮油"), 0.6, 120),
    "1312": Profile(("面业", "面粉"), 0.6, 130),
    "1313": Profile(("玉米开发", "粮食"), 0.9, 140),
    "1314": Profile(("杂粮", "粮食"), 0.5, 90),
    "1331": Profile(("油脂", "粮油"), 0.7, 180),
    "1340": Profile(("糖业",), 1.2, 90),
    "1351": Profile(("肉业", "食品", "牧业"), 0.9, 120),
    "1352": Profile(("禽业", "食品"), 0.9, 80),
    "1353": Profile(("肉食品", "食品"), 0.8, 90),
    "1371": Profile(("农产品", "薯业", "食品"), 0.6, 70),
    "1372": Profile(("食用菌", "绿色食品"), 0.5, 50),
    "1373": Profile(("炒货", "食品"), 0.7, 90),
    "1391": Profile(("淀粉", "薯业"), 0.8, 110),
    "1392": Profile(("豆业", "食品"), 0.5, 70),
    "1431": Profile(("食品", "面业"), 0.6, 60),
    "1441": Profile(("乳业", "乳品"), 1.4, 160),
    "1442": Profile(("乳业", "乳品"), 1.0, 150),
    "1449": Profile(("乳业", "奶食品"), 0.5, 70),
    "1461": Profile(("生物科技", "味业"), 1.6, 150),
    "1491": Profile(("生物科技", "营养品"), 0.5, 80),
    "1494": Profile(("盐业",), 0.7, 60),
    "1495": Profile(("生物科技", "添加剂"), 0.8, 120),
    "1512": Profile(("酒业",), 0.9, 60),
    "1513": Profile(("啤酒",), 0.8, 90),
    "1515": Profile(("葡萄酒业", "酒庄"), 0.5, 50),
    "1522": Profile(("矿泉水", "饮品"), 0.5, 60),
    "1524": Profile(("饮品",), 0.6, 90),
    "1721": Profile(("羊绒", "绒毛", "毛纺"), 1.1, 40),
    "1723": Profile(("毛纺", "绒业"), 0.8, 40),
    "1819": Profile(("服饰", "服装"), 0.9, 30),
    "2011": Profile(("木业",), 0.6, 50),
    "2021": Profile(("木业", "人造板"), 0.6, 60),
    "2211": Profile(("浆纸", "纸业"), 0.8, 90),
    "2221": Profile(("纸业",), 0.6, 80),
    "2311": Profile(("印务", "印刷"), 0.4, 40),
    "2521": Profile(("焦化", "煤化"), 1.2, 220),
    "2522": Profile(("煤化工", "能源化工"), 1.2, 250),
    "2523": Profile(("煤制油", "能源"), 1.5, 300),
    "2611": Profile(("化工",), 0.8, 150),
    "2612": Profile(("化工", "碱业"), 0.9, 150),
    "2613": Profile(("化工", "盐化"), 0.8, 120),
    "2614": Profile(("化工", "能源化工"), 1.1, 200),
    "2619": Profile(("化工", "新材料"), 0.8, 150),
    "2621": Profile(("化肥", "化工"), 1.0, 160),
    "2631": Profile(("农化", "化工"), 0.7, 120),
    "2651": Profile(("化工", "树脂"), 1.1, 220),
    "2652": Profile(("化工", "橡胶"), 0.9, 180),
    "2661": Profile(("化学", "化工"), 0.5, 100),
    "2710": Profile(("药业", "制药"), 1.0, 80),
    "2720": Profile(("药业", "制药"), 0.9, 70),
    "2740": Profile(("蒙药", "药业"), 0.6, 50),
    "2761": Profile(("生物药业", "生物制药"), 0.9, 90),
    "2762": Profile(("生物制品", "疫苗"), 0.9, 100),
    "2770": Profile(("医疗用品", "卫材"), 0.6, 50),
    "3011": Profile(("水泥",), 0.8, 90),
    "3021": Profile(("建材", "水泥制品"), 0.5, 60),
    "3091": Profile(("碳素", "石墨"), 0.8, 90),
    "3110": Profile(("铁业", "炼铁"), 1.3, 150),
    "3120": Profile(("钢铁", "特钢"), 1.8, 180),
    "3130": Profile(("钢材", "型钢", "钢管"), 0.9, 140),
    "3140": Profile(("铁合金", "合金"), 0.9, 140),
    "3211": Profile(("铜业",), 1.0, 300),
    "3212": Profile(("冶炼", "锌业"), 1.0, 220),
    "3216": Profile(("铝业",), 1.6, 250),
    "3218": Profile(("硅业",), 1.0, 150),
    "3219": Profile(("有色金属", "冶金"), 0.8, 150),
    "3221": Profile(("黄金冶炼", "金业"), 0.8, 200),
    "3232": Profile(("稀土",), 1.2, 150),
    "3239": Profile(("稀有金属", "新材料"), 0.8, 120),
    "3252": Profile(("铝材", "铝业"), 0.9, 200),
    "3254": Profile(("稀土新材料", "磁材"), 0.8, 120),
    "3311": Profile(("钢结构",), 0.6, 70),
    "3391": Profile(("铸造", "铸业"), 0.6, 60),
    "3415": Profile(("风电设备", "风电装备"), 0.9, 150),
    "3484": Profile(("机械",), 0.5, 50),
    "3511": Profile(("重工", "矿山机械"), 1.3, 70),
    "3514": Profile(("工程机械",), 0.8, 70),
    "3516": Profile(("冶金设备",), 0.8, 70),
    "3571": Profile(("农机",), 0.6, 50),
    "3611": Profile(("汽车", "重型汽车"), 1.4, 150),
    "3612": Profile(("新能源汽车",), 1.0, 150),
    "3660": Profile(("专用车", "挂车"), 0.7, 70),
    "3670": Profile(("汽车配件", "汽配"), 0.7, 70),
    "3715": Profile(("铁路装备", "车辆配件"), 0.8, 80),
    "3811": Profile(("电机",), 0.7, 80),
    "3825": Profile(("光伏", "硅材料"), 1.2, 120),
    "3841": Profile(("新能源电池", "储能"), 0.9, 150),
    "3985": Profile(("电子材料",), 0.8, 110),
    "4411": Profile(("发电", "电力"), 0.9, 350),
    "4412": Profile(("热电",), 0.9, 300),
    "4415": Profile(("风电", "新能源"), 0.3, 300),
    "4416": Profile(("光伏发电", "新能源"), 0.3, 280),
    "4430": Profile(("热力", "供热"), 0.7, 120),
    "4511": Profile(("燃气",), 0.6, 200),
    "4610": Profile(("水务", "供水"), 0.5, 50),
}

# Trade names (字号); well-known real companies' names are left out on purpose.
TRADE_NAMES = (
    "恒达", "鑫源", "华泰", "宏达", "聚鑫", "金泰", "瑞丰", "昌盛", "鼎盛", "永丰", "博源", "天晟",
    "中盛", "润通", "丰泽", "广益", "兴旺", "嘉禾", "弘泰", "德润", "昊天", "金桥", "盛泰", "祥瑞",
    "正通", "万通", "富源", "通达", "亿丰", "汇通", "泰和", "源隆", "远航", "新峰", "荣达", "川鑫",
    "北辰", "塞北", "草原", "银河", "兆丰", "振华", "晟泰", "益民", "和信", "安泰", "福瑞", "大地",
    "凯盛", "骏马", "腾飞", "蒙源", "蒙兴", "金山", "青城", "阴山", "黄河", "大青山", "乌拉山",
    "北疆", "天骄", "金诺", "华威", "瑞泽", "宏远", "鸿丰", "鑫达", "佳信", "东升", "伟业", "鑫磊",
    "泰丰", "嘉盛", "利民", "恒源", "中天", "天宇", "昌达", "鑫泰", "富达", "华兴", "兴达", "宏源",
    "锦泰", "众鑫", "天元", "瀚海", "广源", "吉祥", "联创", "海源", "华辰", "隆盛", "瑞达", "顺达",
    "永盛", "长青", "德源", "润丰", "金源", "腾达", "华鼎", "恒信", "恒远", "蒙达", "圣泉", "金鼎",
)

SURNAMES = (
    "王", "李", "张", "刘", "赵", "杨", "高", "郭", "马", "孙", "陈", "周", "吴", "徐", "韩", "白",
    "包", "胡", "田", "贾", "郝", "任", "乔", "武", "冯", "石", "段", "梁", "宋", "杜", "康", "云",
)
GIVEN = (
    "建国", "志强", "海军", "丽华", "秀英", "俊峰", "晓东", "文斌", "红梅", "永刚", "建军", "海燕",
    "玉兰", "志刚", "宏伟", "晓燕", "利军", "春梅", "国庆", "鹏", "磊", "静", "伟", "敏", "勇",
    "艳", "强", "杰", "娜", "涛", "霞", "亮", "明", "婷", "军", "芳",
)
# Mongolian given names are used without a Han surname.
MONGOLIAN = (
    "巴特尔", "额尔敦", "其木格", "萨仁", "乌云", "苏和", "那日苏", "阿拉坦", "图雅", "斯琴",
    "朝鲁", "格日勒", "宝音", "乌日娜", "哈斯", "敖特根", "达来", "孟和", "塔娜", "布和",
)
TITLES_FIRST = ("办公室主任", "综合部部长", "总经理助理", "安全环保部部长", "副总经理")
TITLES_SECOND = ("人力资源部经理", "生产技术部部长", "财务部经理", "行政主管", "党群工作部部长")
# fmt: on

# Leading enterprises we place by hand, so the biggest employers sit where they would:
# (county, industry, headcount, park name or "").
FLAGSHIPS: tuple[tuple[str, str, int, str], ...] = (
    ("150203", "3120", 28000, "包头金属深加工园区"),
    ("150207", "3232", 9000, "包头稀土高新技术产业开发区"),
    ("150206", "0932", 5200, ""),
    ("150202", "3216", 7500, "包头铝业产业园区"),
    ("150204", "3511", 8000, "包头装备制造产业园区"),
    ("150204", "3611", 6500, "包头装备制造产业园区"),
    ("150121", "1441", 26000, "呼和浩特金山高新技术产业开发区"),
    ("150123", "1441", 19000, "和林格尔盛乐经济园区"),
    ("150105", "3825", 6500, "呼和浩特经济技术开发区"),
    ("150122", "4411", 5200, "托克托工业园区"),
    ("150622", "0610", 24000, ""),
    ("150627", "0610", 17000, ""),
    ("150627", "2523", 6500, ""),
    ("150602", "1721", 12000, ""),
    ("150624", "3140", 5500, "鄂托克经济开发区"),
    ("150626", "2614", 5000, ""),
    ("150303", "2614", 6000, "乌海经济开发区"),
    ("150302", "0610", 8500, ""),
    ("150402", "2710", 5500, "赤峰红山经济开发区"),
    ("150423", "0912", 5000, ""),
    ("150581", "3216", 7000, "霍林郭勒工业园区"),
    ("150502", "1461", 6500, "通辽经济技术开发区"),
    ("150724", "0620", 7500, ""),
    ("150802", "1351", 5000, "巴彦淖尔经济技术开发区"),
    ("150926", "3140", 5500, "乌兰察布察哈尔工业园区"),
    ("152502", "0620", 5500, ""),
)

# (code prefix, name template, {n} as (low, high, step), investment range in 万元)
PROJECT_TEMPLATES: tuple[tuple[str, str, tuple[int, int, int], tuple[int, int]], ...] = (
    ("06", "{n}万吨/年矿井智能化改造项目", (300, 1500, 100), (20000, 150000)),
    ("06", "煤矿安全生产系统升级项目", (0, 0, 1), (5000, 40000)),
    ("25", "{n}万吨/年煤制油品升级项目", (50, 200, 10), (200000, 900000)),
    ("26", "年产{n}万吨乙二醇项目", (20, 60, 10), (150000, 600000)),
    ("26", "{n}万吨/年煤制烯烃项目", (30, 80, 10), (300000, 900000)),
    ("26", "聚氯乙烯装置节能技改项目", (0, 0, 1), (10000, 60000)),
    ("44", "{n}万千瓦风电项目", (5, 50, 5), (40000, 350000)),
    ("44", "{n}万千瓦光伏治沙项目", (5, 30, 5), (30000, 200000)),
    ("44", "热电联产机组扩建项目", (0, 0, 1), (50000, 300000)),
    ("31", "超低排放改造项目", (0, 0, 1), (20000, 150000)),
    ("31", "年产{n}万吨优特钢项目", (50, 200, 10), (80000, 400000)),
    ("32", "年产{n}万吨高性能铝合金项目", (10, 50, 5), (50000, 300000)),
    ("32", "{n}吨/年高性能稀土永磁材料项目", (2000, 10000, 1000), (30000, 200000)),
    ("14", "年产{n}万吨液态奶智能工厂项目", (10, 60, 5), (50000, 300000)),
    ("13", "年屠宰加工{n}万头肉牛项目", (5, 30, 5), (10000, 80000)),
    ("13", "{n}万吨玉米深加工项目", (30, 100, 10), (30000, 200000)),
    ("27", "原料药绿色化技改项目", (0, 0, 1), (10000, 80000)),
    ("27", "生物制药产业化基地项目", (0, 0, 1), (30000, 150000)),
    ("17", "羊绒制品智能化生产线项目", (0, 0, 1), (5000, 50000)),
    ("", "智能化技术改造项目", (0, 0, 1), (3000, 50000)),
    ("", "生产线扩建项目", (0, 0, 1), (5000, 80000)),
)


# --- the plan: what the demo holds, computed without touching the database ---------------------


@dataclass(frozen=True)
class PlannedContact:
    name: str
    title: str
    phone: str


@dataclass
class PlannedEnterprise:
    uscc: str
    name: str
    region: str
    industry: str
    headcount: int
    revenue: Decimal
    output_value: Decimal
    park: tuple[str, str] | None  # (county code, park name)
    tags: tuple[str, ...]
    contacts: tuple[PlannedContact, ...]

    @property
    def city(self) -> str:
        return self.region[:4] + "00"


@dataclass(frozen=True)
class PlannedProject:
    uscc: str
    name: str
    investment: Decimal


@dataclass(frozen=True)
class PlannedUser:
    username: str
    role: str
    scope: str
    fields: dict[str, Any]
    enterprise_uscc: str = ""
    park: tuple[str, str] | None = None


@dataclass
class Plan:
    parks: list[tuple[str, str]]
    enterprises: list[PlannedEnterprise]
    projects: list[PlannedProject]
    users: list[PlannedUser]

    def by_uscc(self) -> dict[str, PlannedEnterprise]:
        return {e.uscc: e for e in self.enterprises}


def _matches(code: str, prefix: str) -> bool:
    return prefix != "*" and code.startswith(prefix)


def _bias(county: County, code: str) -> float:
    # The longest matching prefix wins, so "0610": 1.5 can refine "06": 0 in the same county.
    best = max((p for p in county.bias if _matches(code, p)), key=len, default=None)
    if best is not None:
        return county.bias[best]
    return county.bias.get("*", 1.0)


def _draw_slots(rng: random.Random, city: City, n: int) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    weights: list[float] = []
    for county in city.counties:
        for code, w in city.industries.items():
            weight = county.weight * w * _bias(county, code)
            if weight > 0:
                pairs.append((county.code, code))
                weights.append(weight)
    return rng.choices(pairs, weights=weights, k=n)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _phone(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18")) + f"{rng.randrange(10**9):09d}"


def _person(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(MONGOLIAN)
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _tags(rng: random.Random, code: str, region: str, tier: str) -> tuple[str, ...]:
    tags: set[str] = set()
    if tier == "leading":
        tags |= {Tag.LEADING, Tag.KEY_CONTACT}
    elif tier == "backbone":
        tags.add(Tag.BACKBONE)
        if rng.random() < 0.5:
            tags.add(Tag.KEY_CONTACT)
    elif rng.random() < 0.05:
        tags.add(Tag.KEY_CONTACT)
    division = code[:2]
    if division == "27" or code.startswith("358") or code == "2770":
        tags.add(Tag.PREVENTION_SUPPLIES)
    elif division in ("17", "18") and rng.random() < 0.3:
        tags.add(Tag.PREVENTION_SUPPLIES)  # masks and protective clothing lines
    elif code in ("2619", "2661", "2612") and rng.random() < 0.1:
        tags.add(Tag.PREVENTION_SUPPLIES)  # disinfectant feedstock
    if code.startswith("144") or code in ("4412", "4430") or division in ("45", "46"):
        tags.add(Tag.LIVELIHOOD)
    elif division in ("13", "14", "15") and rng.random() < 0.6:
        tags.add(Tag.LIVELIHOOD)
    elif division == "44" and rng.random() < 0.7:
        tags.add(Tag.LIVELIHOOD)
    export = 0.02
    if code in ("1721", "1723", "1819"):
        export = 0.5
    elif code in ("3232", "3239", "3254", "0932"):
        export = 0.4
    elif division in ("26", "32", "34", "35", "36", "38"):
        export = 0.1
    if region in ("150781", "152501"):  # the Manzhouli and Erenhot border ports
        export = max(export, 0.4)
    if rng.random() < export:
        tags.add(Tag.FOREIGN_TRADE)
    # Tag order, not set order: set iteration of strings changes between processes.
    return tuple(t.value for t in Tag if t in tags)


def build_plan() -> Plan:
    """The whole demo, the same on every run and machine (one seeded generator, no set order)."""
    rng = random.Random(SEED)
    counties = {k.code: (k, c) for c in CITIES for k in c.counties}

    # Flagships count towards their city's total, so the city sizes stay as listed.
    slots: list[tuple[str, str, int | None, str]] = []  # county, industry, fixed headcount, park
    for city in CITIES:
        own = [f for f in FLAGSHIPS if f[0][:4] == city.code[:4]]
        slots.extend((c, i, h, p) for c, i, h, p in own)
        slots.extend(
            (c, i, None, "") for c, i in _draw_slots(rng, city, city.enterprises - len(own))
        )

    # Plant sizes are lognormal; lists of leading and backbone enterprises are drawn up by size,
    # so the largest become those. Everything but the flagships is then scaled together so the
    # province lands on the seed's headcount whatever the draws were.
    base = [
        rng.lognormvariate(math.log(150), 0.8) * PROFILES[i].scale if h is None else float(h)
        for _, i, h, _ in slots
    ]
    total = len(slots)
    free = sorted((k for k, s in enumerate(slots) if s[2] is None), key=lambda k: (-base[k], k))
    n_leading = round(total * LEADING_SHARE) - (total - len(free))
    n_backbone = round(total * BACKBONE_SHARE)
    tier = ["leading" if s[2] is not None else "" for s in slots]
    for rank, k in enumerate(free):
        if rank < n_leading:
            tier[k] = "leading"
            base[k] = rng.uniform(1000, 4500)
        elif rank < n_leading + n_backbone:
            tier[k] = "backbone"
            base[k] = max(base[k], rng.uniform(300, 1000))
    fixed = sum(h for _, _, h, _ in slots if h is not None)
    factor = (TARGET_HEADCOUNT - fixed) / sum(base[k] for k in free)
    heads = [
        max(20, round(b * factor)) if s[2] is None else int(b)
        for b, s in zip(base, slots, strict=True)
    ]

    # An enterprise in a park carries the park's county (that is where it is registered); mines
    # and wind or solar farms lie out in the open, not in parks.
    park_of = {
        county: [p for c, p in city.parks if c == county]
        for city in CITIES
        for county, _ in city.parks
    }
    eligible = [
        k
        for k, (county, code, h, _) in enumerate(slots)
        if h is None
        and county in park_of
        and code[:2] not in ("06", "07", "08", "09")
        and code not in ("4415", "4416")
    ]
    flagship_parks = sum(1 for s in slots if s[3])
    p_park = min(0.95, (PARK_SHARE * total - flagship_parks) / max(1, len(eligible)))
    eligible_set = frozenset(eligible)

    names: set[str] = set()
    usccs: set[str] = set()
    enterprises: list[PlannedEnterprise] = []
    for k, (county_code, code, _, park_name) in enumerate(slots):
        county, city = counties[county_code]
        profile = PROFILES[code]
        head = heads[k]
        revenue = head * profile.revenue_per_head * rng.lognormvariate(0, 0.35)
        if revenue < ABOVE_SCALE_REVENUE:
            revenue = ABOVE_SCALE_REVENUE + rng.uniform(50, 1500)
        output = revenue * rng.uniform(0.9, 1.15)
        while True:  # redrawn on a clash: names, like USCCs, must be unique
            if tier[k] == "leading" and rng.random() < 0.4:
                place = "内蒙古"
            elif county.short and rng.random() < 0.65:
                place = county.short
            else:
                place = city.short
            roll = rng.random()
            if tier[k] == "leading":
                suffix = "股份有限公司" if roll < 0.4 else "有限责任公司"
            else:
                suffix = (
                    "有限公司" if roll < 0.62 else "有限责任公司" if roll < 0.92 else "股份有限公司"
                )
            name = place + rng.choice(TRADE_NAMES) + rng.choice(profile.words) + suffix
            if name not in names:
                names.add(name)
                break
        while True:
            uscc = make_uscc(f"91{county_code}MA{rng.randrange(1_000_000, 10_000_000)}")
            if uscc not in usccs:
                usccs.add(uscc)
                break
        park: tuple[str, str] | None = None
        if park_name:
            park = (county_code, park_name)
        elif k in eligible_set and rng.random() < p_park:
            park = (county_code, rng.choice(park_of[county_code]))
        contacts = [PlannedContact(_person(rng), rng.choice(TITLES_FIRST), _phone(rng))]
        if rng.random() < 0.5:
            contacts.append(PlannedContact(_person(rng), rng.choice(TITLES_SECOND), _phone(rng)))
        enterprises.append(
            PlannedEnterprise(
                uscc=uscc,
                name=name,
                region=county_code,
                industry=code,
                headcount=head,
                revenue=_money(revenue),
                output_value=_money(output),
                park=park,
                tags=_tags(rng, code, county_code, tier[k]),
                contacts=tuple(contacts),
            )
        )

    # Key projects are big investments, so they belong to leading and backbone enterprises.
    candidates = [e for k, e in enumerate(enterprises) if tier[k] in ("leading", "backbone")]
    projects: list[PlannedProject] = []
    for e in rng.sample(candidates, KEY_PROJECTS):
        options = [t for t in PROJECT_TEMPLATES if t[0] and e.industry.startswith(t[0])]
        options = options or [t for t in PROJECT_TEMPLATES if not t[0]]
        _, template, (lo, hi, step), (ilo, ihi) = rng.choice(options)
        n = rng.randrange(lo, hi + 1, step)
        # Round to a hundred: projects are announced in round figures.
        investment = round(rng.uniform(ilo, ihi), -2)
        projects.append(PlannedProject(e.uscc, template.format(n=n), _money(investment)))

    parks = [(county, name) for city in CITIES for county, name in city.parks]
    return Plan(parks, enterprises, projects, _users(enterprises))


def _users(enterprises: list[PlannedEnterprise]) -> list[PlannedUser]:
    steel = next(e for e in enterprises if e.region == "150203" and e.industry == "3120")
    park = ("150203", "包头金属深加工园区")
    return [
        PlannedUser(
            "admin",
            Role.ADMIN,
            "everything 全部",
            {"is_staff": True, "is_superuser": True},
        ),
        PlannedUser("nmg_official", Role.OFFICIAL, "内蒙古自治区 150000", {"region_id": PROVINCE}),
        PlannedUser("baotou_official", Role.OFFICIAL, "包头市 150200", {"region_id": "150200"}),
        PlannedUser("kundulun_official", Role.OFFICIAL, "昆都仑区 150203", {"region_id": "150203"}),
        PlannedUser("park_manager", Role.PARK_MANAGER, f"{park[1]} (昆都仑区)", {}, park=park),
        PlannedUser(
            "reporter",
            Role.REPORTER,
            f"{steel.name} {steel.uscc}",
            {},
            enterprise_uscc=steel.uscc,
        ),
        PlannedUser(
            "association",
            Role.ASSOCIATION,
            "divisions 06 煤炭, 44 电力, 26 化工",
            {"industry_divisions": ["06", "44", "26"]},
        ),
        PlannedUser(
            "handler",
            Role.HANDLER,
            "内蒙古自治区 150000, 人力资源和社会保障厅",
            {"region_id": PROVINCE, "department": "人力资源和社会保障厅"},
        ),
    ]


def digest(rows: Iterable[tuple[Any, ...]]) -> str:
    """A fingerprint of rows, independent of their order."""
    h = hashlib.sha256()
    for row in sorted(rows):
        h.update(repr(row).encode())
    return h.hexdigest()


def plan_digest(plan: Plan) -> str:
    return digest((e.uscc, e.name, e.headcount, e.industry, e.region) for e in plan.enterprises)


# --- writing it ---------------------------------------------------------------------------------


@dataclass
class Result:
    parks_created: int = 0
    enterprises_created: int = 0
    enterprises_kept: int = 0
    users_created: list[str] = field(default_factory=list)
    users_kept: list[str] = field(default_factory=list)


def ensure_reference() -> None:
    """Load regions and industries on a fresh database (they are what the demo points at)."""
    if not Region.objects.filter(code=PROVINCE).exists():
        load_regions()
    if not Industry.objects.filter(level=IndustryLevel.CLASS).exists():
        load_industries()


def _check_reference(plan: Plan) -> dict[str, str]:
    counties = sorted({e.region for e in plan.enterprises} | {c for c, _ in plan.parks})
    found = set(
        Region.objects.filter(code__in=counties, level=RegionLevel.COUNTY, active=True).values_list(
            "code", flat=True
        )
    )
    missing = [c for c in counties if c not in found]
    if missing:
        raise DemoError(f"regions missing from the reference data: {', '.join(missing)}")
    codes = sorted({e.industry for e in plan.enterprises})
    sections = dict(
        Industry.objects.filter(code__in=codes, level=IndustryLevel.CLASS).values_list(
            "code", "section"
        )
    )
    missing = [c for c in codes if c not in sections]
    if missing:
        raise DemoError(f"industry classes missing from the reference data: {', '.join(missing)}")
    return sections


@transaction.atomic
def load(plan: Plan) -> Result:
    """Add whatever of the plan is missing; rows already there (same USCC, park, username) stay."""
    ensure_reference()
    sections = _check_reference(plan)
    result = Result()

    park_counties = sorted({c for c, _ in plan.parks})
    have = set(Park.objects.filter(region_id__in=park_counties).values_list("region_id", "name"))
    new_parks = [Park(region_id=c, name=n) for c, n in plan.parks if (c, n) not in have]
    Park.objects.bulk_create(new_parks)
    result.parks_created = len(new_parks)
    parks = {(p.region_id, p.name): p for p in Park.objects.filter(region_id__in=park_counties)}

    planned = plan.by_uscc()
    existing = set(Enterprise.objects.filter(uscc__in=list(planned)).values_list("uscc", flat=True))
    todo = [e for e in plan.enterprises if e.uscc not in existing]
    rows = [
        Enterprise(
            uscc=e.uscc,
            name=e.name,
            region_id=e.region,
            industry_id=e.industry,
            headcount=e.headcount,
            revenue=e.revenue,
            output_value=e.output_value,
            size_class=size_class(e.industry, sections[e.industry], e.headcount, e.revenue),
            above_scale=True,
            park=parks[e.park] if e.park else None,
        )
        for e in todo
    ]
    Enterprise.objects.bulk_create(rows, batch_size=500)
    result.enterprises_created = len(rows)
    result.enterprises_kept = len(existing)

    # Ids straight from the insert where the backend returns them, else one look-up.
    ids = {r.uscc: r.pk for r in rows if r.pk is not None}
    if len(ids) < len(rows):
        ids = dict(
            Enterprise.objects.filter(uscc__in=[e.uscc for e in todo]).values_list("uscc", "id")
        )
    EnterpriseTag.objects.bulk_create(
        [EnterpriseTag(enterprise_id=ids[e.uscc], tag=t) for e in todo for t in e.tags],
        batch_size=1000,
    )
    Contact.objects.bulk_create(
        [
            Contact(enterprise_id=ids[e.uscc], name=c.name, title=c.title, phone=c.phone)
            for e in todo
            for c in e.contacts
        ],
        batch_size=1000,
    )
    KeyProject.objects.bulk_create(
        [
            KeyProject(enterprise_id=ids[p.uscc], name=p.name, investment=p.investment)
            for p in plan.projects
            if p.uscc in ids
        ]
    )
    enterprises_changed.send(sender=Enterprise, ids=list(ids.values()))

    for spec in plan.users:
        if User.objects.filter(username=spec.username).exists():
            # Never reset a password or scope someone may have changed (or a real account).
            result.users_kept.append(spec.username)
            continue
        user = User(username=spec.username, role=spec.role, **spec.fields)
        if spec.enterprise_uscc:
            user.enterprise = Enterprise.objects.get(uscc=spec.enterprise_uscc)
        if spec.park:
            user.park = parks[spec.park]
        user.set_password(PASSWORD)
        user.save()
        result.users_created.append(spec.username)
    return result
