"""Demo data: a Chengdu city branch with its areas, teams, staff, customers and a day of work orders.

Reference data (areas, communities, roads, teams, materials, customers) is inserted directly.
Staff are created through the account service, and every work order through the work-order
service, step by step, with the server clock stood at the instant each step happened. Those
instants are counted back from the moment of loading, so whenever the demo is loaded its clocks
are alive: some orders are at risk, some breached, some closed orders wait for their callback.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

import servertime
from db.call_tables import CallRecord
from db.dispatch_tables import HandoverSheet, Outage
from db.duty_tables import BroadcastEvent, DutyEntry
from db.engine import current_engine
from db.tables import (
    Area,
    Community,
    Customer,
    Material,
    Road,
    StaffUser,
    Team,
    WorkOrder,
    WorkOrderEvent,
)
from domain.duty import BroadcastKind, Shift, shift_at
from domain.lifecycle import Action
from domain.routing import TeamFunction as F
from domain.vocabulary import (
    CLOSURE_CATEGORY_OF_KIND,
    Employer,
    HalfDay,
    Kind,
    Network,
    Role,
    Source,
    Tier,
)
from services.auth.schemas import Caller
from services.auth.service import caller_of, create_user
from services.duty import schemas as duty_schemas
from services.duty import service as duty_service
from services.handover import schemas as handover_schemas
from services.handover import service as handover_service
from services.outages import schemas as outage_schemas
from services.outages import service as outage_service
from services.work_orders import schemas as s
from services.work_orders import service
from sync import contact as device_contact
from sync import push as device_push
from sync.schemas import MutationIn, PushIn

DEMO_PASSWORD = "demo"
H = 60  # minutes
D = 24 * H

# ---- reference data -------------------------------------------------------------------------

# (code, name, district, communities, roads)
AREAS = [
    (
        "JJ",
        "锦江片区",
        "锦江区",
        ["望江名门", "东湖国际", "水井坊小区", "锦江城市花园"],
        ["春熙路", "红星路三段", "东大街", "水碾河路", "静安路"],
    ),
    (
        "QY",
        "青羊片区",
        "青羊区",
        ["光华逸家", "金沙西园", "清水河小区", "草堂花园"],
        ["蜀都大道少城路", "光华大道", "青华路", "清江东路", "长顺上街"],
    ),
    (
        "WH",
        "武侯片区",
        "武侯区",
        ["玉林小区", "棕北小区", "科华苑", "高升桥小区"],
        ["人民南路四段", "玉林北路", "科华北路", "武侯祠大街", "一环路南三段"],
    ),
    (
        "CH",
        "成华片区",
        "成华区",
        ["万科城市花园", "双林小区", "府青花园", "龙湖三千城"],
        ["建设路", "双林路", "府青路二段", "二环路东二段", "蜀都大道十里店路"],
    ),
    (
        "JN",
        "金牛片区",
        "金牛区",
        ["交大花园", "西城丽景", "花照壁小区", "金府家园"],
        ["一环路北一段", "二环路北一段", "蜀汉路", "金府路", "营门口路"],
    ),
    (
        "GX",
        "高新片区",
        "高新区",
        ["南城都汇", "锦城湖岸", "中海城南一号", "天府软件园"],
        ["天府大道北段", "天府三街", "天府四街", "益州大道", "锦城大道", "交子大道"],
    ),
]

# (code, name, function, network, employer, area). Office teams have no network: they never go
# to the customer's premises, so routing ignores the network for them.
TEAMS = [
    ("AZ-JJ-2W", "锦江双向安装班", F.install, Network.two_way, Employer.in_house, "JJ"),
    ("WX-WH-2W", "武侯双向维修班", F.repair, Network.two_way, Employer.in_house, "WH"),
    ("WX-CH-1W", "成华单向维修班", F.repair, Network.one_way, Employer.in_house, "CH"),
    ("DW-JN-2W", "蓉信代维金牛维修队", F.repair, Network.two_way, Employer.contractor, "JN"),
    ("ZX-01", "专线对接组", F.dedicated_line, Network.two_way, Employer.in_house, None),
    ("LR-01", "资料录入组", F.data_entry, None, Employer.in_house, None),
    ("YY-JJ", "春熙路营业厅", F.branch_office, None, Employer.in_house, "JJ"),
    ("TS-01", "投诉处理组", F.complaint, None, Employer.in_house, None),
]

# (code, name, unit)
MATERIALS = [
    ("ONU-GPON", "光猫（GPON ONU）", "台"),
    ("STB-HD", "高清机顶盒", "台"),
    ("STB-4K", "4K智能机顶盒", "台"),
    ("FIBER-DROP", "皮线光缆", "米"),
    ("CAT5E", "超五类网线", "米"),
    ("RJ45", "水晶头", "个"),
    ("TAP-2", "二分支器", "个"),
    ("SPLIT-2", "二分配器", "个"),
    ("AMP", "信号放大器", "台"),
    ("REMOTE", "遥控器", "个"),
    ("FIBER-FAST", "光纤冷接子", "个"),
    ("SMARTCARD", "智能卡", "张"),
    ("ROUTER-AX", "无线路由器（WiFi 6）", "台"),
    ("COAX-75-5", "同轴电缆（SYWV-75-5）", "米"),
]

# (username, display name, role, team, area, phone). Every account's password is DEMO_PASSWORD.
USERS = [
    ("admin", "赵志刚", Role.admin, None, None, "13800280001"),
    ("supervisor", "陈秀英", Role.supervisor, None, None, "13800280002"),
    ("dispatcher", "王建国", Role.dispatcher, None, None, "13800280003"),
    ("dispatcher2", "刘晓燕", Role.dispatcher, None, None, "13800280004"),
    ("agent", "张丽", Role.agent, None, None, "13800280005"),
    ("tech1", "李志强", Role.technician, "AZ-JJ-2W", "JJ", "13800280011"),
    ("tech2", "周俊", Role.technician, "WX-WH-2W", "WH", "13800280012"),
    ("tech3", "黄斌", Role.technician, "ZX-01", "GX", "13800280013"),
    ("tech4", "吴海", Role.technician, "WX-WH-2W", "WH", "13800280014"),
    ("tech5", "郑伟", Role.technician, "WX-CH-1W", "CH", "13800280015"),
    ("contractor1", "杨小兵", Role.contractor, "DW-JN-2W", "JN", "13800280021"),
    ("backoffice", "孙梅", Role.backoffice, "LR-01", None, "13800280031"),
    ("office1", "何静", Role.backoffice, "YY-JJ", "JJ", "13800280032"),
    ("complaint1", "罗娟", Role.backoffice, "TS-01", None, "13800280033"),
]

O, V, DL = Tier.ordinary, Tier.vip, Tier.dedicated_line
ONE, TWO = Network.one_way, Network.two_way

# (name, phone, tier, network, area, community, road, street number, rest of the address).
# Companies on a dedicated line sit in office buildings, outside any 小区.
CUSTOMERS = [
    ("张秀兰", "13808012345", O, TWO, "JJ", "望江名门", "水碾河路", "18", "5栋1单元1203室"),
    ("刘德明", "13551023467", O, TWO, "JJ", "东湖国际", "静安路", "6", "2栋3单元801室"),
    ("陈玉珍", "13982045671", O, ONE, "JJ", "水井坊小区", "东大街", "112", "3栋2单元402室"),
    ("何建平", "13908076543", V, TWO, "JJ", "锦江城市花园", "红星路三段", "35", "A座2601室"),
    ("孙建军", "18628011234", O, TWO, "JJ", "东湖国际", "静安路", "6", "7栋1单元1502室"),
    ("胡雪梅", "15908112345", O, TWO, "JJ", "锦江城市花园", "红星路三段", "35", "B座1203室"),
    ("王淑芬", "13688045219", O, ONE, "QY", "清水河小区", "青华路", "27", "12栋1单元302室"),
    ("赵永刚", "18981023456", O, TWO, "QY", "光华逸家", "光华大道", "88", "4栋2单元1706室"),
    ("周婷", "15928034567", O, TWO, "QY", "金沙西园", "清江东路", "9", "6栋1单元901室"),
    ("杨光荣", "13808177889", V, TWO, "QY", "草堂花园", "青华路", "39", "16号别墅"),
    ("高文", "13350081122", O, TWO, "QY", "光华逸家", "光华大道", "88", "9栋1单元902室"),
    ("李红梅", "13730012876", O, TWO, "WH", "玉林小区", "玉林北路", "12", "8栋2单元501室"),
    ("吴志伟", "18080023451", O, TWO, "WH", "棕北小区", "人民南路四段", "45", "3栋1单元604室"),
    ("郭晓东", "13908023310", V, TWO, "WH", "科华苑", "科华北路", "143", "11栋1单元2201室"),
    ("韩磊", "13880091234", O, TWO, "WH", "科华苑", "科华北路", "143", "3栋2单元1101室"),
    ("马丽娟", "15882045678", O, TWO, "WH", "高升桥小区", "一环路南三段", "21", "2栋1单元303室"),
    ("田慧", "18280034567", O, TWO, "WH", "玉林小区", "玉林北路", "12", "15栋1单元102室"),
    (
        "成都蓉城律师事务所",
        "028-85561234",
        DL,
        TWO,
        "WH",
        None,
        "人民南路四段",
        "19",
        "威斯顿联邦大厦12楼",
    ),
    ("谢桂英", "13198012345", O, ONE, "CH", "双林小区", "双林路", "77", "6栋3单元201室"),
    ("钟秀珍", "13540087654", O, ONE, "CH", "双林小区", "双林路", "77", "9栋1单元502室"),
    ("邓国强", "13880056789", O, TWO, "CH", "万科城市花园", "建设路", "55", "3栋2单元1101室"),
    ("宋建国", "13982167890", O, TWO, "CH", "万科城市花园", "建设路", "55", "6栋1单元402室"),
    ("罗小燕", "15208112233", O, TWO, "CH", "龙湖三千城", "二环路东二段", "8", "5栋1单元2603室"),
    ("唐文斌", "18982076541", O, TWO, "CH", "府青花园", "府青路二段", "31", "1栋1单元701室"),
    ("冯建华", "13628034512", O, ONE, "JN", "花照壁小区", "蜀汉路", "140", "4栋2单元302室"),
    ("曾丽萍", "18628076543", O, TWO, "JN", "交大花园", "二环路北一段", "111", "14栋3单元1203室"),
    ("黄俊", "13438021987", O, TWO, "JN", "西城丽景", "营门口路", "288", "7栋2单元802室"),
    ("彭志强", "13908006688", V, TWO, "JN", "金府家园", "金府路", "66", "2栋1单元1801室"),
    (
        "四川锦程物流有限公司",
        "028-87651234",
        DL,
        TWO,
        "JN",
        None,
        "金府路",
        "777",
        "锦程物流园3号仓库",
    ),
    ("徐静", "13668001234", O, TWO, "GX", "南城都汇", "天府四街", "66", "3栋1单元1205室"),
    ("蒋立新", "13808066001", V, TWO, "GX", "锦城湖岸", "锦城大道", "539", "6栋1单元3201室"),
    ("林晓峰", "18180012345", O, TWO, "GX", "中海城南一号", "益州大道", "1999", "11栋2单元1601室"),
    ("范磊", "15002811234", O, TWO, "GX", "南城都汇", "天府四街", "66", "8栋2单元903室"),
    (
        "成都星云数智科技有限公司",
        "028-61234567",
        DL,
        TWO,
        "GX",
        "天府软件园",
        "天府三街",
        "199",
        "C区6栋5楼",
    ),
    ("许文静", "13778012345", O, TWO, "CH", "万科城市花园", "建设路", "55", "9栋2单元1502室"),
    ("曹丽", "13880123456", O, TWO, "GX", "南城都汇", "天府四街", "66", "5栋1单元702室"),
]


# ---- work-order scenarios -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    ago: float  # minutes before loading
    actor: str  # username
    action: Action
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    customer: str  # name in CUSTOMERS
    kind: Kind
    ago: float  # minutes before loading the order was raised
    description: str
    steps: list[Step] = field(default_factory=list)
    source: Source = Source.call_centre
    remark: str = ""
    flagged: bool = False
    contact: tuple[str, str] | None = (
        None  # (name, phone) when the caller is not the account holder
    )
    address: str | None = None  # when the caller gave another address than the file's
    appointment_in_days: int | None = None  # the customer asked for a visit that many days ahead


def step(ago: float, actor: str, action: Action, **params: Any) -> Step:
    return Step(ago, actor, action, params)


def dispatch(ago: float, assignee: str, by: str = "dispatcher") -> Step:
    return step(ago, by, Action.dispatch, assignee=assignee)


def field_path(handler: str, *agos: float, by: str = "dispatcher") -> list[Step]:
    """The usual way to the customer: dispatch, accept, contact, set off, arrive — as many of
    these steps as times are given."""
    moves = (Action.accept, Action.contact, Action.start_travel, Action.arrive)
    first, *rest = agos
    return [
        dispatch(first, handler, by),
        *(step(a, handler, m) for a, m in zip(rest, moves, strict=False)),
    ]


def desk_path(handler: str, *agos: float, by: str = "dispatcher") -> list[Step]:
    """The back office's way: dispatch, accept, contact the customer by phone."""
    return field_path(handler, *agos[:3], by=by)


def sign(
    ago: float,
    tech: str,
    signer: str,
    relation: str = "account_holder",
    satisfaction: int = 5,
    comment: str = "",
) -> Step:
    return step(
        ago,
        tech,
        Action.sign,
        signer_name=signer,
        relation=relation,
        satisfaction=satisfaction,
        comment=comment,
    )


def close(
    ago: float, actor: str, outcome: str, cause: str, solution: str, result: str, **extra: Any
) -> Step:
    """A closure; the closure category is the one of the order's kind (filled in when played)."""
    return step(
        ago,
        actor,
        Action.close,
        outcome=outcome,
        cause=cause,
        solution=solution,
        result=result,
        **extra,
    )


def fixed(
    ago: float,
    tech: str,
    cause: str,
    solution: str,
    result: str,
    work_done: str,
    hours: float,
    materials: tuple = (),
    swaps: tuple = (),
    remark: str = "",
    outcome: str = "resolved",
) -> Step:
    """An on-site closure with the service record: work done, hours, materials, swapped devices."""
    return close(
        ago,
        tech,
        outcome,
        cause,
        solution,
        result,
        work_done=work_done,
        labour_hours=hours,
        remark=remark,
        materials=[{"code": code, "quantity": qty} for code, qty in materials],
        device_swaps=[{"device": d, "old_serial": old, "new_serial": new} for d, old, new in swaps],
    )


def callback(ago: float, satisfaction: int | None, remark: str, reached: bool = True) -> Step:
    return step(
        ago, "agent", Action.callback, reached=reached, satisfaction=satisfaction, remark=remark
    )


def urge(ago: float, note: str) -> Step:
    return step(ago, "agent", Action.urge, note=note)


# Ordered roughly by state, from the newest calls to yesterday's closed work. Times are minutes
# before loading; the limits they are chosen against are the manual's defaults: dispatch within
# 10 min (5 for VIP, dedicated line, mayor hotline, 110/119), at risk in the last 20 %.
ORDERS = [
    # -- new: waiting for dispatch
    Scenario(
        "刘德明",
        Kind.repair,
        8,  # ordinary, 8 of 10 minutes gone: at risk
        "电视无信号，机顶盒提示“E102 无法获取频点”，用户已重启机顶盒无效",
    ),
    Scenario(
        "吴志伟",
        Kind.repair,
        25,  # well past 10 minutes, and urged: breached
        "宽带断网，光猫LOS灯红色闪烁，电视收看正常",
        [urge(12, "用户再次来电催促，称在家办公急需用网")],
    ),
    Scenario(
        "蒋立新",
        Kind.install,
        3,  # VIP, 3 of 5 minutes gone: still running
        "新装1000M宽带及4K智能电视，需安装两台机顶盒（客厅、书房）",
        remark="VIP客户，要求上午上门，上门前请提前联系",
        appointment_in_days=2,
    ),
    Scenario("周婷", Kind.consultation, 2, "咨询宽带续费套餐资费及电视+宽带融合套餐优惠"),
    Scenario(
        "唐文斌",
        Kind.complaint,
        6,  # mayor hotline: 5-minute dispatch already missed
        "市长热线转来：用户投诉装维人员预约上午上门，实际下午4点才到，且未提前告知，要求道歉",
        source=Source.mayor_hotline,
    ),
    # (raised an hour ago: with 吴志伟's and 郭晓东's unrelated faults it would otherwise make
    # three 武侯 repairs within 30 minutes, a suspected area outage)
    Scenario(
        "马丽娟",
        Kind.repair,
        60,  # rejected by the technician: back in the pool
        "电视所有频道有画面无声音，机顶盒重启后仍无声",
        [
            dispatch(57, "tech2"),
            step(
                6,
                "tech2",
                Action.reject,
                reason="本人今日在高新片区支援专线割接，无法按时上门，请改派",
            ),
        ],
    ),
    Scenario(
        "黄俊",
        Kind.install,
        55,  # sent back for a missing address, then resubmitted
        "新装宽带：用户已在营业厅办理500M融合套餐，需上门安装光猫并布线",
        [
            step(
                45,
                "dispatcher",
                Action.send_back,
                reason_code="customer_info_wrong",
                reason="地址缺少楼栋单元门牌号，无法派单，请坐席与用户核实",
            ),
            step(
                4,
                "agent",
                Action.resubmit,
                note="已与用户核实：西城丽景7栋2单元802室，周末全天在家",
            ),
        ],
        address="成都市金牛区营门口路288号西城丽景",
    ),
    # -- area outages (片区故障): three repairs from 万科城市花园 in 14 minutes, just now: suspected
    Scenario("邓国强", Kind.repair, 20, "宽带突然断网，光猫PON灯闪红，电视也没有信号"),
    Scenario("宋建国", Kind.repair, 14, "电视全部频道无信号，宽带也上不了网，邻居家也一样"),
    Scenario("许文静", Kind.repair, 6, "家里宽带和电视同时中断，光猫LOS灯亮红灯"),
    # ... and at 南城都汇 an hour and a half ago: confirmed on site, notice published (DESK below)
    Scenario(
        "徐静",
        Kind.repair,
        100,
        "宽带和IPTV同时中断，光猫LOS灯红色常亮",
        [dispatch(97, "tech4"), step(95, "tech4", Action.accept), step(84, "tech4", Action.arrive)],
    ),
    Scenario("范磊", Kind.repair, 95, "电视无信号，宽带断网，物业说小区外面在施工"),
    Scenario("曹丽", Kind.repair, 88, "宽带断网，在家上网课急用，请尽快处理"),
    Scenario(
        "范磊",
        Kind.repair,
        40,
        "用户家人再次来电：宽带仍无法使用，询问什么时候恢复",
        contact=("范磊家属 王芳", "15908223344"),
    ),
    # -- dispatched
    Scenario(
        "赵永刚",
        Kind.repair,
        32,  # urged twice: raised to high priority
        "宽带网速慢，晚上看视频频繁卡顿，测速仅20M（办理的是300M）",
        [
            dispatch(29, "tech2"),
            urge(16, "用户来电催单，询问何时上门"),
            urge(5, "用户第二次催单，情绪较激动"),
        ],
    ),
    Scenario(
        "郭晓东",
        Kind.repair,
        26,  # VIP: 26 of 30 minutes to contact gone, at risk
        "IPTV点播卡顿，频繁提示“网络连接超时”",
        [dispatch(23, "tech4")],
        remark="VIP客户，请优先处理",
    ),
    Scenario(
        "成都星云数智科技有限公司",
        Kind.dedicated_line,
        45,  # not contacted in 30 min: breached
        "专线中断：公司100M互联网专线突然中断，路由器WAN口无光，影响全公司办公",
        [dispatch(42, "tech3"), urge(20, "客户网管再次来电，称已影响对外业务，要求尽快到场")],
        contact=("网管 刘工", "13980011223"),
    ),
    Scenario(
        "田慧",
        Kind.after_sales,
        70,
        "售后：办理宽带及电视过户，原户主已迁出，新户主要求更名并保留原账号",
        [dispatch(64, "backoffice")],
    ),
    Scenario(
        "罗小燕",
        Kind.install,
        12,  # flagged remark: contact within 10 min, missed
        "加装第二台高清机顶盒（卧室），用户已在网上营业厅办理",
        [dispatch(9, "tech1")],
        remark="用户白天上班，请务必先电话联系约定时间，勿直接上门",
        flagged=True,
    ),
    Scenario(
        "韩磊",
        Kind.repair,
        30 * H,  # fixed yesterday, reopened after an unhappy callback
        "无线WiFi信号弱，卧室经常连不上网",
        [
            *field_path("tech4", 30 * H - 4, 30 * H - 10, 30 * H - 20, 30 * H - 60, 30 * H - 100),
            sign(26 * H + 10, "tech4", "韩磊", satisfaction=4),
            fixed(
                26 * H,
                "tech4",
                "光猫放置于弱电箱内，WiFi信号被遮挡",
                "将光猫移出弱电箱，并调整WiFi信道",
                "客厅信号良好，卧室信号有改善",
                "调整光猫位置，重新配置WiFi信道及功率",
                1.0,
                materials=(("CAT5E", 3),),
            ),
            # Dissatisfied at the callback: the order reopens in the same step.
            callback(75, 2, "用户称晚上卧室仍频繁掉线，对处理结果不满意，要求重新上门"),
            dispatch(62, "tech2"),
        ],
    ),
    # -- accepted
    Scenario(
        "李红梅",
        Kind.install,
        2 * H,
        "新装200M宽带+高清电视，用户已在营业厅办理，需上门安装光猫及机顶盒",
        [dispatch(115, "tech1"), step(100, "tech1", Action.accept)],
        appointment_in_days=1,
    ),
    Scenario(
        "谢桂英",
        Kind.repair,
        40,  # one-way network: only the one-way team may take it
        "有线电视部分频道马赛克，央视几个台画面停顿",
        [
            dispatch(36, "tech5"),
            step(30, "tech5", Action.accept),
            step(
                20,
                "agent",
                Action.flag_remark,
                remark="用户为独居老人，耳背，请上门前多次电话联系或联系其女儿13730045566",
            ),
        ],
    ),
    Scenario(
        "王淑芬",
        Kind.complaint,
        100,  # 100 of 120 minutes to reply gone: at risk
        "投诉：上周报修时装维人员在家中吸烟，态度生硬，要求道歉",
        [dispatch(96, "complaint1"), step(90, "complaint1", Action.accept)],
    ),
    Scenario(
        "唐文斌",
        Kind.repair,
        4 * H,  # the contractor could not fix it: second dispatch
        "楼道内多户电视信号差，画面出现雪花和马赛克",
        [
            *field_path("contractor1", 235, 230, 220, 200, 180),
            step(
                120,
                "contractor1",
                Action.return_result,
                special_fault=True,
                result="楼道放大器损坏，需登高更换，代维无该型号放大器备件，申请二次调度",
            ),
            dispatch(105, "tech2"),
            step(95, "tech2", Action.accept),
        ],
    ),
    Scenario(
        "邓国强",
        Kind.repair,
        45,  # 转派 to the contractor who maintains that estate
        "机顶盒频繁死机，需拔电重启才能恢复",
        [
            dispatch(41, "tech2"),
            step(
                30,
                "dispatcher",
                Action.transfer,
                assignee="contractor1",
                reason="万科城市花园属代维公司维护片区，转派代维处理",
            ),
            step(20, "contractor1", Action.accept),
        ],
    ),
    # -- contacted
    Scenario(
        "曾丽萍",
        Kind.repair,
        3 * H,
        "机顶盒开机后一直停留在“正在搜索节目”界面",
        [
            *field_path("contractor1", 175, 165),
            step(150, "contractor1", Action.contact, note="已与用户约定今天下班后上门"),
        ],
    ),
    Scenario(
        "徐静",
        Kind.transfer,
        50,
        "流转：营业厅受理停机保号业务，需资料录入组核对资料并在系统中办理",
        [
            *desk_path("backoffice", 45, 40),
            step(
                30, "backoffice", Action.contact, note="已电话告知用户停机保号期间月租按5元/月收取"
            ),
        ],
    ),
    # -- en route
    Scenario(
        "何建平",
        Kind.repair,
        50,
        "宽带和电视同时中断，光猫PON灯熄灭",
        field_path("tech2", 47, 45, 40, 30),
        remark="VIP客户，家中有重要视频会议，请尽快处理",
    ),
    Scenario(
        "林晓峰",
        Kind.install,
        5 * H,
        "移机：用户由南城都汇搬至中海城南一号，需重新布放皮线光缆并安装光猫",
        [
            *field_path("tech1", 290, 270),
            step(240, "tech1", Action.contact, note="用户要求下班后上门"),
            step(15, "tech1", Action.start_travel),
        ],
    ),
    # -- on site
    Scenario(
        "四川锦程物流有限公司",
        Kind.dedicated_line,
        70,
        "专线故障：仓库专线丢包严重，ping网关丢包约30%，物流系统频繁掉线",
        [
            *field_path("tech3", 67, 66, 60, 55),
            # Arrived where there was no signal: the phone sent the step when it reconnected.
            step(20, "tech3", Action.arrive, device_ago=38),
            step(10, "tech3", Action.note, text="光缆接头盒进水，正在重新熔接，预计20分钟恢复"),
        ],
        contact=("信息部 赵经理", "13608012233"),
    ),
    Scenario(
        "彭志强",
        Kind.repair,
        90,  # signed, the technician is writing up the closure
        "家中两台机顶盒均无信号，客厅和卧室电视黑屏",
        [
            *field_path("contractor1", 87, 85, 80, 70, 50),
            sign(3, "contractor1", "彭志强", comment="师傅很专业，处理及时"),
        ],
        remark="VIP客户",
    ),
    Scenario(
        "钟秀珍",
        Kind.repair,
        90,  # unsafe to go on
        "市长热线转来：双林小区9栋整个单元电视信号差、雪花点多，多次反映未解决",
        [
            *field_path("tech5", 86, 80, 75, 60, 40),
            step(
                28,
                "tech5",
                Action.cannot_proceed,
                reason="故障点在楼顶分支箱，楼顶无护栏且正在下雨，湿滑无法安全登高，需物业配合搭设安全设施",
            ),
        ],
        source=Source.mayor_hotline,
    ),
    Scenario(
        "陈玉珍",
        Kind.repair,
        30,  # 119 report: the technician left the unsafe job for it
        "119指挥中心转来：水井坊小区3栋外墙有线电视线缆垂落至人行道，存在安全隐患，需立即处理",
        [
            dispatch(27, "tech5"),
            step(26, "tech5", Action.accept),
            step(25, "tech5", Action.start_travel),
            step(10, "tech5", Action.arrive),
        ],
        source=Source.emergency,
        contact=("119指挥中心", "119"),
    ),
    # -- returned to dispatch
    Scenario(
        "张秀兰",
        Kind.repair,
        2 * H,  # special fault returned 40 min ago: transfer breached
        "宽带频繁掉线，光猫光信号灯闪烁",
        [
            *field_path("tech4", 115, 110, 105, 90, 70),
            step(
                40,
                "tech4",
                Action.return_result,
                special_fault=True,
                result="经检测为小区光节点故障，整栋楼光功率均低于-27dBm，需网络部处理，现场无法修复",
            ),
        ],
    ),
    Scenario(
        "杨光荣",
        Kind.after_sales,
        2 * H,  # result returned 25 min ago: transfer at risk
        "售后：套餐到期后电视被停机，用户称已开通自动续费",
        [
            *desk_path("backoffice", 117, 110, 100),
            step(
                25,
                "backoffice",
                Action.return_result,
                result="已核实自动续费因银行卡过期扣款失败，需营业厅协助用户更换扣款卡并办理续费",
            ),
        ],
        remark="VIP客户",
    ),
    Scenario(
        "孙建军",
        Kind.install,
        45,
        "新装100M宽带，用户刚入住",
        [
            dispatch(40, "tech1"),
            step(30, "tech1", Action.accept),
            step(
                8,
                "tech1",
                Action.request_send_back,
                reason="该楼栋为电信独家进线，我司无光缆资源，无法安装，申请回退",
            ),
        ],
    ),
    # -- sent back to the call centre
    Scenario(
        "高文",
        Kind.repair,
        3 * H,
        "宽带无法上网，光猫指示灯全灭",
        [
            step(
                170,
                "dispatcher",
                Action.send_back,
                reason_code="out_of_scope",
                reason="经核实用户宽带为电信业务，光猫为电信设备，非我司业务范围，请坐席告知用户拨打10000",
            )
        ],
    ),
    Scenario(
        "范磊",
        Kind.install,
        80,
        "用户要求将100M宽带升级为300M并更换新光猫",
        [
            dispatch(75, "tech1"),
            step(
                60,
                "dispatcher2",
                Action.send_back,
                reason_code="wrong_dispatch",
                reason="用户诉求为套餐升级，属营业厅售后业务，坐席误选安装类工单，请改为售后单重新提交",
            ),
        ],
    ),
    # -- cancelled
    Scenario(
        "高文",
        Kind.install,
        D + 5 * H,
        "新装宽带及高清电视",
        [
            step(
                D + 5 * H - 7, "agent", Action.cancel, reason="客户来电取消安装，已在其他运营商办理"
            )
        ],
    ),
    Scenario(
        "刘德明",
        Kind.repair,
        20 * H,
        "宽带断网，无法打开网页",
        [
            dispatch(20 * H - 5, "tech2"),
            step(
                19 * H, "dispatcher", Action.cancel, reason="用户来电告知重启光猫后已恢复，要求撤单"
            ),
        ],
    ),
    # -- closed
    Scenario(
        "胡雪梅",
        Kind.repair,
        5 * H,  # resolved two hours ago: callback pending
        "宽带频繁断网，每天断开十几次",
        [
            *field_path("tech2", 294, 290, 280, 250, 215),
            sign(135, "tech2", "胡雪梅"),
            fixed(
                130,
                "tech2",
                "入户网线水晶头氧化，接触不良导致频繁断网",
                "重新制作水晶头，更换入户段超五类网线",
                "宽带恢复正常，现场测速298M，用户确认可正常上网",
                "检测光猫光功率（-19.5dBm正常），重做水晶头2个，更换网线5米",
                1.5,
                materials=(("RJ45", 2), ("CAT5E", 5)),
            ),
        ],
    ),
    Scenario(
        "杨光荣",
        Kind.repair,
        D + 4 * H,  # VIP, device swapped, callback done
        "光猫无法开机，宽带和电视全部中断",
        [
            *field_path(
                "tech2", D + 4 * H - 3, D + 4 * H - 5, D + 4 * H - 10, D + 3 * H, D + 2 * H
            ),
            sign(D + 10, "tech2", "杨光荣"),
            fixed(
                D,
                "tech2",
                "光猫电源模块损坏，无法开机",
                "更换新光猫并恢复原宽带及IPTV配置",
                "宽带、电视均恢复正常，WiFi信号覆盖全屋",
                "更换光猫1台，恢复宽带拨号及IPTV组播配置，测试全屋WiFi",
                1.0,
                materials=(("ONU-GPON", 1),),
                swaps=(("光猫", "ZTEG5A1B2C3D", "HWTC8E7F6A5B"),),
                remark="VIP客户，已现场演示新光猫WiFi改密及双频设置，告知后续故障可直接联系班组长",
            ),
            callback(20 * H, 5, "用户对上门速度和服务态度非常满意"),
        ],
    ),
    Scenario(
        "邓国强",
        Kind.install,
        6 * D + 6 * H,  # closed six days ago, never called back
        "新装300M宽带及高清电视",
        [
            *field_path(
                "tech1",
                6 * D + 6 * H - 15,
                6 * D + 5 * H,
                6 * D + 4 * H,
                6 * D + 3 * H,
                6 * D + 2 * H + 30,
            ),
            sign(6 * D + 5, "tech1", "邓国强"),
            fixed(
                6 * D,
                "tech1",
                "用户新装宽带及电视业务",
                "入户布放皮线光缆，安装光猫及高清机顶盒",
                "宽带300M及高清电视开通正常，现场测速295M",
                "布放皮线光缆45米，安装光猫1台、高清机顶盒1台，调试IPTV",
                3.0,
                materials=(("FIBER-DROP", 45), ("FIBER-FAST", 2), ("ONU-GPON", 1), ("STB-HD", 1)),
            ),
            # Calls that missed the customer: the callback is still due, now overdue.
            callback(5 * D, None, "电话无人接听，已发短信告知将再次回访", reached=False),
            callback(2 * D, None, "用户手机关机", reached=False),
        ],
    ),
    Scenario(
        "冯建华",
        Kind.repair,
        D + 3 * H,  # unresolved; no signature, waiver approved
        "电视多数频道马赛克，少数频道无信号",
        [
            *field_path(
                "tech5", D + 3 * H - 4, D + 3 * H - 8, D + 3 * H - 15, D + 2 * H, D + H + 30
            ),
            step(
                D + 20,
                "tech5",
                Action.request_waiver,
                reason="用户为独居老人，手部颤抖无法签字，家属不在场",
            ),
            step(D + 10, "supervisor", Action.approve_waiver),
            fixed(
                D,
                "tech5",
                "入户同轴电缆老化，墙内暗管堵塞无法穿线",
                "临时更换分配器改善信号；需重新明线布放入户电缆，待物业同意后施工",
                "部分频道信号已改善，仍有个别频道马赛克，未完全修复",
                "测试入户电平（58dBμV偏低），更换二分配器1个",
                2.0,
                materials=(("SPLIT-2", 1),),
                outcome="unresolved",
            ),
            # 基本满意 (3 of 5): not dissatisfied, so the order stays closed.
            callback(20 * H, 3, "部分频道仍有马赛克，用户理解需等物业同意后重新布线"),
        ],
    ),
    Scenario(
        "宋建国",
        Kind.repair,
        4 * H,  # closed with an appointment: waits for an append
        "机顶盒无法开机，电源灯不亮",
        [
            *field_path("contractor1", 235, 230, 220),
            close(
                210,
                "contractor1",
                "appointment",
                "机顶盒主板故障，需更换机顶盒",
                "已申请新机顶盒备件，预约上门更换",
                "已和用户预约上门更换机顶盒",
                appointment_in_days=1,
                appointment_half_day="pm",
            ),
        ],
    ),
    Scenario(
        "周婷",
        Kind.repair,
        2 * H,  # phone guidance, no append yet
        "机顶盒开机后停留在启动画面",
        [
            *field_path("tech2", 115, 112, 100),
            close(
                95,
                "tech2",
                "resolved",
                "机顶盒系统异常，开机停留在启动画面",
                "电话指导用户断电重启机顶盒并恢复出厂设置、重新搜台",
                "用户操作后画面恢复，待用户晚间使用后回电确认",
                method="phone_guidance",
            ),
        ],
    ),
    Scenario(
        "罗小燕",
        Kind.repair,
        D + 2 * H,  # phone guidance, append and callback done
        "电视黑屏，显示“无信号”",
        [
            *field_path("contractor1", D + 2 * H - 4, D + 2 * H - 10, D + 2 * H - 20),
            close(
                D + H,
                "contractor1",
                "resolved",
                "用户误触遥控器，电视切换到了AV信号源",
                "电话指导用户用电视遥控器将信号源切回HDMI1",
                "用户操作后电视画面恢复",
                method="phone_guidance",
            ),
            step(
                D,
                "contractor1",
                Action.append,
                text="用户当晚回电确认电视收看正常，本单办结",
                final_outcome="resolved",
            ),
            callback(20 * H, 4, "用户表示问题已解决，建议遥控器附防误触说明"),
        ],
    ),
    Scenario(
        "黄俊",
        Kind.consultation,
        D + H,  # answered at once by the dispatcher
        "咨询宽带提速至500M的资费及办理方式",
        [
            close(
                D + 50,
                "dispatcher",
                "resolved",
                "用户咨询宽带提速至500M的资费及办理方式",
                "告知500M融合套餐每月129元（含高清电视及两台机顶盒），可在营业厅或网上营业厅办理",
                "用户已了解，表示近期到营业厅办理",
            )
        ],
    ),
    Scenario(
        "张秀兰",
        Kind.complaint,
        2 * D + 5 * H,
        "市长热线转来：用户投诉宽带报修三天未修复，要求尽快处理并给予补偿",
        [
            *desk_path("complaint1", 2 * D + 5 * H - 4, 2 * D + 5 * H - 10, 2 * D + 5 * H - 25),
            close(
                2 * D + 2 * H,
                "complaint1",
                "resolved",
                "报修单派单后装维人员因备件不足延误处理",
                "已协调维修班当日上门修复，并按规定为用户减免半个月宽带月租",
                "宽带已恢复，用户接受处理结果",
            ),
            callback(D + 20 * H, 4, "用户表示满意，希望以后报修能及时处理"),
        ],
        source=Source.mayor_hotline,
    ),
    Scenario(
        "孙建军",
        Kind.complaint,
        5 * D + 6 * H,  # a valid complaint not yet called back: overdue
        "投诉：装维人员上门未穿工装、未出示工作证，用户对此不满",
        [
            *desk_path("complaint1", 5 * D + 6 * H - 4, 5 * D + 6 * H - 10, 5 * D + 6 * H - 30),
            close(
                5 * D + 2 * H,
                "complaint1",
                "resolved",
                "装维人员临时顶班，未按规范着装及出示工作证",
                "已对当事装维人员通报批评并组织着装规范培训，班组长致电用户致歉",
                "用户接受道歉",
            ),
            callback(3 * D, None, "用户称正在开会，稍后再联系", reached=False),
        ],
    ),
    Scenario(
        "何建平",
        Kind.transfer,
        2 * D + 3 * H,
        "流转：用户在营业厅办理的少儿增值包未生效",
        [
            *desk_path("office1", 2 * D + 3 * H - 3, 2 * D + 3 * H - 10, 2 * D + 3 * H - 20),
            close(
                2 * D + 90,
                "office1",
                "resolved",
                "少儿增值包因系统同步失败未生效",
                "营业网点在业务系统中重新下发授权，并补偿赠送7天增值包",
                "用户确认少儿频道已可正常收看",
                remark="VIP客户，已由营业厅值班经理致电致歉并说明补偿方案",
            ),
            callback(D + 22 * H, 5, "用户对补偿方案满意"),
        ],
    ),
    Scenario(
        "成都蓉城律师事务所",
        Kind.dedicated_line,
        D + 6 * H,  # callback still to do
        "专线中断：律所专线无法访问外网，视频会议中断",
        [
            *field_path(
                "tech3", D + 6 * H - 3, D + 6 * H - 4, D + 6 * H - 8, D + 6 * H - 10, D + 5 * H - 15
            ),
            sign(D + 3 * H + 35, "tech3", "陈芳", relation="colleague", comment="恢复很快，谢谢"),
            fixed(
                D + 3 * H + 30,
                "tech3",
                "楼道弱电井内光纤跳线被其他施工方碰断",
                "重新熔接光纤并更换跳线，加装光纤保护盒并贴警示标签",
                "专线恢复，测试上下行100M，丢包率0%，用户确认业务正常",
                "定位断点，熔接光纤2芯，更换跳线，加装保护盒",
                2.5,
                materials=(("FIBER-FAST", 2), ("FIBER-DROP", 10)),
                remark="专线客户，已与物业约定弱电井施工需提前通知我司，后续将加强巡检",
            ),
        ],
        contact=("行政主管 陈芳", "13880087766"),
    ),
]


# ---- playing the scenarios ------------------------------------------------------------------


def _signature(seed: int) -> list[list[list[float]]]:
    """A plausible handwritten signature: three cursive strokes of about 20 points, 16 ms apart."""
    rng = random.Random(seed)
    strokes = []
    for i in range(3):
        x0, y0 = 30 + 90 * i + rng.uniform(-8, 8), 80 + rng.uniform(-10, 10)
        width, height, loops = rng.uniform(40, 70), rng.uniform(20, 40), rng.uniform(1.0, 2.0)
        count = rng.randint(18, 24)
        points = []
        for j in range(count):
            f = j / (count - 1)
            x = x0 + width * f + 10 * math.sin(f * loops * 2 * math.pi)
            y = y0 - height * math.sin(f * math.pi) + 6 * math.cos(f * loops * 2 * math.pi)
            points.append([round(x, 1), round(y, 1), j * 16 + rng.randint(0, 4)])
        strokes.append(points)
    return strokes


def _local_day(base: datetime, days: int) -> date:
    """The branch's calendar day `days` after the instant `base`."""
    return (base.astimezone(service.TZ) + timedelta(days=days)).date()


@dataclass
class _Play:
    """What playing needs: the instant counted back from, and the ids behind the names."""

    now: datetime
    users: dict[str, int]
    callers: dict[str, Caller]
    customers: dict[str, int]
    areas: dict[str, int] = field(default_factory=dict)

    def at(self, ago: float) -> datetime:
        return self.now - timedelta(minutes=ago)


def _body(st: Step, kind: Kind, play: _Play, seed: int) -> s.Step:
    """The request body the API would receive, validated the same way."""
    params = dict(st.params)
    if "assignee" in params:
        params["assignee_id"] = play.users[params.pop("assignee")]
    if "device_ago" in params:
        params["device_time"] = play.at(params.pop("device_ago"))
    if st.action == Action.close:
        params["closure_category"] = CLOSURE_CATEGORY_OF_KIND[kind]
        if "appointment_in_days" in params:
            params["appointment_date"] = _local_day(
                play.at(st.ago), params.pop("appointment_in_days")
            )
    if st.action == Action.sign:
        params["strokes"] = _signature(seed)
    return msgspec.convert(params, service.STEP_HANDLING[st.action].body)


def _create_body(sc: Scenario, play: _Play) -> s.CreateOrder:
    data: dict[str, Any] = {
        "kind": sc.kind,
        "source": sc.source,
        "customer_id": play.customers[sc.customer],
        "description": sc.description,
        "agent_remark": sc.remark,
        "remark_flagged": sc.flagged,
    }
    if sc.contact:
        data["contact_name"], data["contact_phone"] = sc.contact
    if sc.address:
        data["address"] = sc.address
    if sc.appointment_in_days is not None:
        day = _local_day(play.at(sc.ago), sc.appointment_in_days)
        # The visit the customer asked for, at the start of the morning half-day.
        start = service.HALF_DAY_START[HalfDay.am]
        data["appointment_at"] = datetime.combine(day, start, tzinfo=service.TZ)
    return msgspec.convert(data, s.CreateOrder)


async def _play_order(number: int, sc: Scenario, play: _Play) -> None:
    """Raise the order as the agent, then take each step as its actor at its instant."""
    action = Action.create
    try:
        servertime.travel_to(play.at(sc.ago))
        order = await service.create_order(play.callers["agent"], _create_body(sc, play))
        previous = sc.ago
        for st in sc.steps:
            action = st.action
            if st.ago >= previous:
                raise ValueError(f"step {action} at {st.ago} min ago is not after the one before")
            previous = st.ago
            servertime.travel_to(play.at(st.ago))
            await service.act(
                play.callers[st.actor], order.id, st.action, _body(st, sc.kind, play, seed=number)
            )
    except Exception as exc:
        exc.add_note(
            f"demo order #{number} ({sc.kind} for {sc.customer}), step {action}: "
            f"{getattr(exc, 'issues', '')}"
        )
        raise


# The phones as the dispatchers' board sees them: (username, minutes since the last sync,
# actions still queued on the phone). Field staff not listed have never used the app.
DEVICES = [
    ("tech1", 1, 0),
    ("contractor1", 0.5, 0),
    ("tech2", 8, 0),
    ("tech5", 25, 1),
    ("tech4", 130, 2),
]


async def _devices(now: datetime, callers: dict[str, Caller]) -> None:
    """Each phone's last contact; and 周俊's phone, offline while 邓国强's order was transferred
    away from him, pushing a note on it afterwards: rejected, for the dispatchers' conflicts list."""
    transferred = (
        await WorkOrder.select(WorkOrder.id)
        .where(
            (WorkOrder.customer.name == "邓国强") & (WorkOrder.assignee.username == "contractor1")
        )
        .first()
    )
    for username, minutes, queued in DEVICES:
        client_id = f"demo-phone-{username}"
        servertime.travel_to(now - timedelta(minutes=minutes))
        if username == "tech2":
            note = MutationIn(
                id=1,
                name="add_note",
                device_time=now - timedelta(minutes=33),
                args={
                    "order_id": transferred["id"],
                    "text": "客户电话说机顶盒已经恢复，约明早再上门看一次",
                },
            )
            await device_push.push(
                callers[username], PushIn(client_id=client_id, mutations=[note]), "zh-CN", 1
            )
        await device_contact.note_pull(callers[username], client_id, queued)


# ---- calls to customers (issue 19): the call centre's recorded system and taps on "call" ------


async def _calls(now: datetime, callers: dict[str, Caller]) -> None:
    """The telephony system's key; the dispatchers' calls about open orders, as it reported them
    (one over the 3 minutes, one matched to a tap in the console), a tap at night never reported
    (the customer's rest hours, dialled anyway as urgent; not through the recorded system), and a
    technician's tap."""
    from db.call_tables import SystemClient
    from services.calls import schemas as call_schemas
    from services.calls import service as call_service
    from services.system_clients import schemas as client_schemas
    from services.system_clients import service as client_service

    servertime.travel_to(now - timedelta(days=2))
    await client_service.create(
        callers["admin"], client_schemas.SystemClientCreate(name="呼叫中心录音系统")
    )
    telephony = client_service.caller_of_client(await SystemClient.select().first())
    held = (
        await WorkOrder.select(WorkOrder.id, WorkOrder.code, WorkOrder.contact_phone)
        .where(WorkOrder.state.is_in(["dispatched", "accepted", "contacted"]))
        .order_by(WorkOrder.id)
        .limit(3)
    )
    mine = (
        await WorkOrder.select(WorkOrder.id)
        .where(
            (WorkOrder.assignee.username == "tech2")
            & (WorkOrder.state.is_in(["accepted", "contacted", "en_route"]))
        )
        .first()
    )

    async def report(order: dict, call_id: str, agent: str, start: datetime, talk_s: int) -> None:
        servertime.travel_to(start + timedelta(seconds=talk_s + 30))
        await call_service.report(
            telephony,
            call_schemas.CallReport(
                call_id=call_id,
                order_code=order["code"],
                agent=agent,
                caller="96123",
                callee=order["contact_phone"],
                started_at=start,
                answered_at=start + timedelta(seconds=12),
                ended_at=start + timedelta(seconds=12 + talk_s),
                recording_ref=f"rec/2026/{call_id}.wav",
            ),
        )

    async def tap(order_id: int, who: str, at: datetime, on: str, urgent: bool = False) -> None:
        servertime.travel_to(at)
        await call_service.tap(callers[who], order_id, call_schemas.PhoneCall(urgent=urgent), on)

    if held:
        await tap(held[0]["id"], "dispatcher", now - timedelta(minutes=50), "console")
        await report(
            held[0], "CC20261204-0001", "dispatcher", now - timedelta(minutes=49, seconds=40), 150
        )
    if len(held) > 1:
        await report(
            held[1], "CC20261204-0002", "dispatcher2", now - timedelta(hours=3), 4 * 60 + 30
        )
    if len(held) > 2:
        last_night = datetime.combine(
            (now - timedelta(days=1)).astimezone(service.TZ).date(),
            datetime.min.time().replace(hour=22, minute=30),
            tzinfo=service.TZ,
        )
        await tap(held[2]["id"], "dispatcher2", last_night, "console", urgent=True)
    if mine:
        await tap(mine["id"], "tech2", now - timedelta(minutes=20), "phone")


# ---- the dispatcher's desk: the 南城都汇 outage's notices and last shift's handover ----------


def _clock_text(at: datetime) -> str:
    return at.astimezone(service.TZ).strftime("%H:%M")


async def _nanchengduhui(play: _Play) -> int:
    row = await Outage.select(Outage.id).where(Outage.area == play.areas["GX"]).first()
    return row["id"]


async def _confirm(who: Caller, play: _Play) -> Any:
    return await outage_service.confirm(
        who,
        await _nanchengduhui(play),
        outage_schemas.Confirm(note="吴海到场确认：小区外光交接箱处主干光缆被市政施工挖断"),
    )


def _fault_notice(eta: datetime, progress: str) -> outage_schemas.FaultNoticeIn:
    return outage_schemas.FaultNoticeIn(
        reporter="网络运维部 张工",
        location="高新区天府四街66号南城都汇小区外光交接箱",
        cause="小区外市政道路施工挖断主干光缆",
        affected_scope="南城都汇小区全部楼栋（约1200户）宽带、IPTV及数字电视",
        estimated_restoration=eta,
        explanation=(
            f"您好，您所在的南城都汇小区因小区外市政施工挖断主干光缆，宽带和电视暂时中断，{progress}，"
            f"预计今天{_clock_text(eta)}前恢复，给您带来不便敬请谅解，无需重复报修。"
        ),
    )


async def _publish(who: Caller, play: _Play) -> Any:
    notice = _fault_notice(play.now + timedelta(minutes=90), "我司抢修人员已在现场抢修")
    return await outage_service.publish(who, await _nanchengduhui(play), notice)


async def _revise(who: Caller, play: _Play) -> Any:
    notice = _fault_notice(play.now + timedelta(minutes=60), "光缆熔接已完成过半")
    return await outage_service.publish(who, await _nanchengduhui(play), notice)


async def _last_sheet() -> int:
    return (
        await HandoverSheet.select(HandoverSheet.id)
        .order_by(HandoverSheet.id, ascending=False)
        .first()
    )["id"]


async def _prepare_handover(who: Caller, play: _Play) -> Any:
    return await handover_service.create(
        who,
        handover_schemas.CreateSheet(
            scheduled_at=play.at(60),
            incoming_id=play.users["dispatcher"],
            planned_work=(
                "今晚23:00至次日01:00高新片区前端机房核心交换机升级割接，期间部分用户宽带短暂中断，"
                "坐席请提前准备解释口径；本周六起开展“宽带提速季”营销活动。"
            ),
            systems="调度系统、呼叫中心系统运行正常；2号调度席耳麦有杂音，已报信息部更换。",
            other="交大花园物业要求施工前一天电话通知物业办公室（028-87761234）。",
        ),
    )


async def _sign_out(who: Caller, play: _Play) -> Any:
    return await handover_service.sign_out(who, await _last_sheet())


async def _sign_in(who: Caller, play: _Play) -> Any:
    return await handover_service.sign_in(
        who, await _last_sheet(), handover_schemas.SignIn(note="已阅，重点跟踪C项VIP及专线工单。")
    )


# ---- the duty desk (issue 19): the roster and its check, a call-in, a broadcast-safety event ----

ROSTERED = ["dispatcher", "tech1", "tech2", "tech3", "tech5", "contractor1", "agent", "backoffice"]


async def _roster(who: Caller, play: _Play) -> Any:
    """The shift the handover an hour ago began (and the current one, if another): the supervisor's roster."""
    shifts = dict.fromkeys(shift_at(play.at(ago), duty_service.TZ) for ago in (60, 0))
    for shift in shifts:
        await duty_service.add_to_roster(
            who,
            duty_schemas.RosterAdd(
                day=shift.day, shift=Shift(shift.shift), user_ids=[play.users[u] for u in ROSTERED]
            ),
        )


async def _duty_check(who: Caller, play: _Play) -> Any:
    """出勤检查 at the handover: 吴海 (tech4) is not rostered; 郑伟 (tech5) called in sick."""
    for entry in (await duty_service.roster(None, None)).entries:
        if entry.attendance == "called_in":
            continue
        absent = entry.user.id == play.users["tech5"]
        await duty_service.check_attendance(
            who,
            entry.id,
            duty_schemas.AttendanceCheck(
                attendance="absent" if absent else "present",
                note="电话请假(发烧)" if absent else "",
            ),
        )


async def _call_in(who: Caller, play: _Play) -> Any:
    return await duty_service.call_in(
        who,
        await _nanchengduhui(play),
        duty_schemas.CallInIn(
            user_ids=[play.users["tech4"]], note="南城都汇主干光缆中断，电话通知吴海到岗增援"
        ),
    )


async def _broadcast(who: Caller, play: _Play) -> Any:
    return await duty_service.record_broadcast(
        who,
        duty_schemas.BroadcastIn(
            kind=BroadcastKind.illegal_insertion,
            occurred_at=play.at(47),
            channel="CDTV-2 成都经济资讯",
            area_id=play.areas["GX"],
            description="高新片区用户来电反映该频道约40秒画面被不明信号插播，前端机房监看确认为非法插播。",
            informed="前端机房值班员",
            actions="前端机房切换备用信源",
        ),
    )


async def _report_broadcast(who: Caller, play: _Play) -> Any:
    event = await BroadcastEvent.select(BroadcastEvent.id).first()
    return await duty_service.report_broadcast(
        who,
        event["id"],
        duty_schemas.BroadcastReport(
            informed="前端机房、分公司值班领导、市广电局安全播出科",
            actions="切换备用信源，保存监看录像，排查高新片区光节点",
            report="今日高新片区CDTV-2频道被非法插播约40秒，已切换备用信源恢复正常播出，录像已留存，已报备市广电局。",
        ),
    )


# (minutes before loading, actor, what they do), played between the orders at their instants
DESK: list[tuple[float, str, Callable[[Caller, _Play], Awaitable[Any]]]] = [
    (100, "supervisor", _roster),  # the duty desk (issue 19)
    (80, "dispatcher2", _confirm),
    (78, "dispatcher2", _call_in),
    (75, "dispatcher2", _publish),
    (72, "dispatcher2", _prepare_handover),  # the shift changes an hour ago; prepared ahead
    (62, "dispatcher2", _sign_out),
    (59, "dispatcher", _sign_in),
    (55, "supervisor", _duty_check),
    (45, "dispatcher", _broadcast),
    (35, "dispatcher", _report_broadcast),
    (30, "dispatcher", _revise),
]


async def _at_desk(
    event: tuple[float, str, Callable[[Caller, _Play], Awaitable[Any]]], play: _Play
) -> None:
    ago, actor, act = event
    servertime.travel_to(play.at(ago))
    await act(play.callers[actor], play)


# ---- loading --------------------------------------------------------------------------------


async def _insert(row) -> int:
    return (await type(row).insert(row))[0]["id"]


async def _reference_data() -> tuple[dict, dict, dict, dict]:
    """Areas, their communities and roads (ids by (area code, name)), teams and materials."""
    areas: dict[str, int] = {}
    communities: dict[tuple[str, str], int] = {}
    roads: dict[tuple[str, str], int] = {}
    for code, name, _district, community_names, road_names in AREAS:
        areas[code] = area = await _insert(Area(code=code, name=name))
        for community in community_names:
            communities[(code, community)] = await _insert(Community(area=area, name=community))
        for road in road_names:
            roads[(code, road)] = await _insert(Road(area=area, name=road))
    teams = {
        code: await _insert(
            Team(
                code=code,
                name=name,
                function=function.value,
                network=network and network.value,
                employer=employer.value,
                area=area and areas[area],
            )
        )
        for code, name, function, network, employer, area in TEAMS
    }
    for code, name, unit in MATERIALS:
        await _insert(Material(code=code, name=name, unit=unit))
    return areas, communities, roads, teams


async def _customers(areas: dict, communities: dict, roads: dict) -> dict[str, int]:
    district = {code: d for code, _name, d, _c, _r in AREAS}
    ids = {}
    for number, (name, phone, tier, network, area, community, road, no, rest) in enumerate(
        CUSTOMERS, start=1
    ):
        ids[name] = await _insert(
            Customer(
                account_no=f"0280{number:06d}",
                name=name,
                phone=phone,
                tier=tier.value,
                network=network.value,
                area=areas[area],
                community=community and communities[(area, community)],
                road=roads[(area, road)],
                address=f"成都市{district[area]}{road}{no}号{community or ''}{rest}",
            )
        )
    return ids


async def _staff(areas: dict, teams: dict) -> dict[str, int]:
    return {
        username: await create_user(
            username, name, role, DEMO_PASSWORD, team and teams[team], area and areas[area], phone
        )
        for username, name, role, team, area, phone in USERS
    }


async def _count(table, *where) -> int:
    query = table.count()
    for condition in where:
        query = query.where(condition)
    return await query


@asynccontextmanager
async def _pooled() -> AsyncIterator[None]:
    """A connection pool for the load on PostgreSQL: a few thousand queries, each on a fresh
    connection, would take most of a minute."""
    engine = current_engine()
    own = isinstance(engine, PostgresEngine) and engine.pool is None
    if own:
        await engine.start_connection_pool()
    try:
        yield
    finally:
        if own:
            await engine.close_connection_pool()


async def load_demo() -> dict:
    """Fill an empty, migrated database with the demo; returns how many of each were made.
    Not one transaction (each order step commits on its own, as in the service): if it fails
    half-way, drop the database and migrate again."""
    now = datetime.now(UTC).replace(microsecond=0)
    # Orders are raised oldest first, so their ids and codes follow the order they came in.
    scenarios = sorted(enumerate(ORDERS, start=1), key=lambda pair: -pair[1].ago)
    async with _pooled():
        return await _load(now, scenarios)


async def _load(now: datetime, scenarios: list[tuple[int, Scenario]]) -> dict:
    try:
        # Accounts were opened well before the history they appear in (the audit trail agrees).
        servertime.travel_to(now - timedelta(days=30))
        areas, communities, roads, teams = await _reference_data()
        customers = await _customers(areas, communities, roads)
        users = await _staff(areas, teams)
        callers = {r["username"]: caller_of(r) for r in await StaffUser.select()}
        desk = sorted(DESK, key=lambda d: -d[0])
        play = _Play(now, users, callers, customers, areas)
        for number, scenario in scenarios:
            while desk and desk[0][0] > scenario.ago:
                await _at_desk(desk.pop(0), play)
            # Each order is moved back by a few seconds of its own, so the times look less
            # regular (the clocks' margins in ORDERS allow for it).
            jitter = timedelta(seconds=random.Random(number).randint(1, 40))
            await _play_order(number, scenario, _Play(now - jitter, users, callers, customers))
        await _devices(now, callers)
        await _calls(now, callers)
        for event in desk:
            await _at_desk(event, play)
    finally:
        servertime.travel_to(None)
    real_now = servertime.now()
    return {
        "areas": len(areas),
        "communities": await _count(Community),
        "roads": await _count(Road),
        "teams": len(teams),
        "materials": len(MATERIALS),
        "users": len(users),
        "customers": len(customers),
        "orders": await _count(WorkOrder),
        "outages": await _count(Outage),
        "handovers": await _count(HandoverSheet),
        "calls": await _count(CallRecord),
        "roster_entries": await _count(DutyEntry),
        "broadcast_events": await _count(BroadcastEvent),
        "events": await _count(WorkOrderEvent),
        "at_risk": await _count(
            WorkOrder, WorkOrder.clock_next_risk <= real_now, WorkOrder.clock_next_due > real_now
        ),
        "overdue": await _count(WorkOrder, WorkOrder.clock_next_due <= real_now),
    }
