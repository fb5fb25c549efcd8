"""The words the commands print, in one language per run: Chinese by default,
English with --lang en.

Code writes its words in English; ZH maps them to Chinese. A phrase without a
Chinese entry prints in English (tests/test_cli_output.py lists the tables'
words, so a missing one shows up there).
"""

from __future__ import annotations

from typing import Final

from geo_api.errors import InvalidInputError

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"
_lang = [DEFAULT_LANG]


def set_lang(lang: str) -> None:
    """Print this run's words in ``lang`` (zh or en)."""
    if lang not in LANGS:
        raise InvalidInputError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}")
    _lang[0] = lang


def lang() -> str:
    """This run's language."""
    return _lang[0]


def t(text: str) -> str:
    """``text`` in this run's language."""
    return ZH.get(text, text) if _lang[0] == "zh" else text


def lang_in(args: list[str]) -> str:
    """The language an argument list asks for (the last --lang wins), or the default."""
    found = DEFAULT_LANG
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg.removeprefix("--lang=")
    return found


def lang_hoisted(args: list[str]) -> list[str]:
    """The arguments with every --lang moved to the front, where the gridgov command
    (not the sub-command) reads it: so `gridgov gaps --lang en` works too."""
    kept: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            kept.extend(args[i:])
            break
        if arg == "--lang" and i + 1 < len(args):
            i += 2
            continue
        if not arg.startswith("--lang="):
            kept.append(arg)
        i += 1
    if kept == args:
        return args
    return ["--lang", lang_in(args), *kept]


ZH: Final[dict[str, str]] = {
    # party building (issue 17)
    "alliance units": "联盟单位",
    "unit kind": "单位类型",
    "contact": "联系人",
    "agreements": "有效协议",
    "unit added": "已添加单位",
    "agreement signed": "已签订协议",
    "agreement ended": "已终止协议",
    "categories": "类别",
    "English": "英文名",
    "in use": "启用",
    "resource list": "资源清单",
    "demand list": "需求清单",
    "title": "名称",
    "category": "类别",
    "unit": "单位",
    "capacity": "容量",
    "urgency": "紧急程度",
    "status": "状态",
    "projects": "项目",
    "milestones due": "应完成节点",
    "done": "已完成",
    "due": "应完成",
    "late projects": "滞后项目",
    "proposed matches": "推荐匹配",
    "demand": "需求",
    "resource": "资源",
    "metres": "米",
    "open demands": "待满足需求",
    "met": "已匹配",
    "walk": "步行",
    "projects made": "已生成项目",
    "error": "错误",
    "interrupted": "已中断",
    "yes": "是",
    "no": "否",
    # progress lines
    "starting": "启动中",
    "connecting to the store": "连接数据库",
    "generating the city": "生成城市",
    "generated the city": "城市已生成",
    "loading into PostGIS": "写入 PostGIS",
    "assigning households": "分配住户",
    "finding gaps": "查找问题",
    "proposing new unit heads": "推荐新单元长",
    "proposing outposts": "推荐新驿站",
    "exporting layers": "导出图层",
    "importing": "导入",
    "drawing the map": "绘制地图",
    "building the walking network": "构建步行路网",
    "checking the store": "检查数据",
    "migrating the schema": "迁移数据库结构",
    "starting the server": "启动服务",
    # tables
    "city loaded": "城市已载入",
    "layer": "图层",
    "rows": "行数",
    "gaps found": "发现的问题",
    "type": "类型",
    "gaps": "问题数",
    "store": "数据库",
    "embedded cluster": "内置数据库集群",
    "folder": "目录",
    "running": "运行中",
    "port": "端口",
    "schema revision": "结构版本",
    "expected revision": "应有版本",
    "validation report": "校验报告",
    "problems": "问题",
    "households": "户数",
    "assigned": "已分配",
    "unassigned": "未分配",
    "kept their head": "单元长不变",
    "moved to another head (churn)": "换了单元长（变动）",
    "newly covered": "新覆盖",
    "no longer covered": "不再覆盖",
    "seconds": "秒",
    "solved on": "求解位置",
    "this process": "本进程",
    "assignment run": "分配运行",
    "places covered": "场所覆盖",
    "level": "层级",
    "covered by": "覆盖情况",
    "building": "楼栋",
    "compound": "小区",
    "grid": "网格",
    "party members placed": "党员归属",
    "by their household": "按住户",
    "by their point": "按位置",
    "by their address": "按地址",
    "not placed": "未归属",
    "community setting": "社区设置",
    "head setting": "单元长设置",
    "roster change": "名册变更",
    "action": "操作",
    "head": "三长",
    "household": "住户",
    "terms ended": "结束任期",
    "communities re-assigned": "重新分配的社区数",
    "appointed": "任命",
    "retired": "卸任",
    "moved": "调任",
    "ended": "已迁出",
    "relocated": "已搬迁",
    "note": "备注",
    "coverage now and with the proposed heads": "现在与增加推荐单元长后的覆盖",
    "left out: now": "未覆盖：现在",
    "left out: with them": "未覆盖：增加后",
    "over target: now": "超负荷：现在",
    "over target: with them": "超负荷：增加后",
    "new unit heads proposed": "推荐新单元长数",
    "proven fewest": "已证明最少",
    "proposed unit heads": "推荐的单元长",
    "candidate": "人选",
    "kind": "身份",
    "units": "单元",
    "party member": "党员",
    "volunteer": "志愿者",
    "gaps per community": "各社区问题",
    "community": "社区",
    "gaps (by type)": "问题（按类型）",
    "gaps by type": "问题类型统计",
    "no gaps": "没有问题",
    "(no community)": "（不属于任何社区）",
    "where to act: `gridgov recruit` (new unit heads), `gridgov site` (new outposts)": (
        "下一步：`gridgov recruit`（推荐单元长），`gridgov site`（推荐驿站）"
    ),
    "exported to": "已导出到",
    "features": "要素数",
    "walking network": "步行路网",
    "roads": "道路",
    "vertices": "节点",
    "edges": "边",
    "km of road": "道路公里数",
    "gates joined": "接入的小区门",
    "compounds entered at their edge": "从边界进入的小区",
    "stations joined": "接入的服务站",
    "coverage within": "覆盖范围",
    "reached now": "现在可达",
    "reached with the new outposts": "增加新驿站后可达",
    "beyond reach but reachable from a candidate": "不可达但候选点可达",
    "fewest outposts to reach them all": "全部覆盖所需最少驿站",
    "proven optimal": "已证明最优",
    "proposed outposts": "推荐的驿站",
    "site": "位置",
    "longitude": "经度",
    "latitude": "纬度",
    "+households": "新增户数",
    "coordinate system": "坐标系",
    "rows in the file": "文件行数",
    "inserted": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "rejected": "拒绝",
    "rejects written to": "拒绝行写入",
    "outside their parent": "超出上级范围",
    "import of": "导入",
    "into": "到",
    "communities": "社区",
    "name": "名称",
    "code": "代码",
    "street": "街道",
    "map": "地图",
    "API keys": "API 密钥",
    "role": "角色",
    "starts": "开头",
    "area": "范围",
    "per minute": "每分钟",
    "made": "创建",
    "revoked": "已吊销",
    "city": "全市",
    "personal data read in full": "个人信息完整读取记录",
    "when": "时间",
    "key": "密钥",
    "request": "请求",
    "records": "记录",
    "why": "原因",
    "wrote": "已写入",
    "initialised": "已初始化",
    "grids": "网格数",
    "compounds": "小区数",
    "reason": "原因",
    "own": "本处",
    "nearest": "就近",
    "uncovered": "未覆盖",
    "changed": "有变化",
    "generating": "生成",
    "loading": "写入",
    "maps at": "地图地址",
    "none (run gridgov db up)": "无（请运行 gridgov db up）",
    "network": "沿道路步行",
    "straight": "直线",
    "sign in at {url} with {said} command-centre key of the demo": (
        "请在 {url} 用演示的{said}指挥中心密钥登录"
    ),
    "(kept in {path}; `gridgov demo --new-key` replaces it):": (
        "（保存在 {path}；`gridgov demo --new-key` 可更换）："
    ),
    "drawing the placards": "制作公示牌",
    "placards": "三长信息公示牌",
    "place": "地点",
    "named in full": "公开姓名",
    "heads": "三长",
    "file": "文件",
    "person": "姓名",
    "phone": "电话",
    "load/target/max": "联系户数/目标/上限",
    "around them": "周边问题",
    "over maximum": "超过上限",
    "over target": "超过目标",
    "households without head": "户无单元长",
    "units without head": "单元无单元长",
    "buildings without head": "楼栋无楼长",
    "grid officer": "网格员",
    "grid officers": "网格员",
    "grids covered": "覆盖的网格",
    "id": "编号",
    "part-time": "兼职",
    "max grids": "最多网格数",
    "most": "上限",
    "appointed on": "任职日期",
    "left on": "离任日期",
    "changed by": "修改人",
    "from": "起",
    "to": "止",
    "the grids they covered are covered again": "其负责的网格已重新分配",
    "party members": "报到党员",
    "serving": "在职",
    "retirees": "离退休",
    "retired member": "离退休",
    "workplace": "工作单位",
    "registered on": "报到日期",
    "registrations": "党员报到",
    "month": "月份",
    "registered": "报到",
    "left": "已离开",
    "total": "合计",
    "roster": "名单",
    "new": "新增",
    "to retire": "待离任",
    "retire": "离任",
    "retired now": "本次离任",
    "not in the file (kept: not --full)": "文件中没有（保留：未用 --full）",
    "dry run: nothing written": "试运行：未写入任何数据",
    "fields that change": "变化的字段",
    "a new": "新的",
    "the same": "原来的",
    # gridgov stats
    "figures by day": "每日数据",
    "day": "日期",
    "hh": "户数",
    "cov %": "覆盖%",
    "no head": "无单元长",
    "over": "超目标",
    "high": "严重",
    "med": "中等",
    "low": "轻微",
    "since yesterday": "较昨日",
    "since last week": "较上周",
    "no snapshot yet: run gridgov stats snapshot": "尚无快照：请运行 gridgov stats snapshot",
    "snapshot rows": "快照行数",
    # members' service (gridgov activities, points, yearend)
    "activities": "活动",
    "activity": "活动",
    "activity step": "活动步骤",
    "activity created": "活动已创建",
    "activity cancelled": "活动已取消",
    "called": "已通知",
    "checked in": "已签到",
    "cancelled": "已取消",
    "member": "党员",
    "step": "步骤",
    "recorded": "已记录",
    "points": "积分",
    "notice sent": "预告已发送",
    "notified": "已通知",
    "already notified": "此前已通知",
    "received": "预告收到",
    "checked_in": "活动签到",
    "feedback": "反馈得到",
    "exchange": "积分兑换",
    "points record": "积分记录",
    "balance": "余额",
    "earned": "本年获得",
    "exchanged": "本年兑换",
    "entries": "明细",
    "points exchanged": "积分已兑换",
    "points rules": "积分规则",
    "year-end summary": "年度总结",
    "durable": "持久写入",
    # Alliance units' kinds (geo_api.db.party.UnitKind): English runs print the code.
    "government": "党政机关",
    "institution": "事业单位",
    "state_firm": "国有企业",
    "private_firm": "非公企业",
    "school": "学校",
    "hospital": "医院",
    "bank": "金融机构",
    "social_org": "社会组织",
    "other": "其他",
}
