"""A small, known world for tests: two areas, the teams of the routing matrix, one account per
role, customers of each tier, and a materials catalogue. Built straight into the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from db.tables import Area, Community, Customer, Material, Road, StaffUser, Team
from domain.vocabulary import Role
from services.auth.schemas import Caller
from services.auth.service import create_user

PASSWORD = "correct horse battery"

USERS = [
    # username, role, display name, team code
    ("admin", Role.admin, "管理员", None),
    ("supervisor", Role.supervisor, "赵主管", None),
    ("dispatcher", Role.dispatcher, "王调度", None),
    ("dispatcher2", Role.dispatcher, "钱调度", None),
    ("agent", Role.agent, "刘坐席", None),
    ("tech1", Role.technician, "张安装", "INSTALL-2W"),
    ("tech2", Role.technician, "李维修", "REPAIR-2W"),
    ("tech2b", Role.technician, "周维修", "REPAIR-2W"),
    ("tech3", Role.technician, "孙专线", "DL"),
    ("tech_1w", Role.technician, "吴单向", "REPAIR-1W"),
    ("contractor1", Role.contractor, "郑代维", "REPAIR-CONTRACTOR"),
    ("backoffice", Role.backoffice, "陈录入", "DATA-ENTRY"),
    ("complaints", Role.backoffice, "冯投诉", "COMPLAINT"),
]

TEAMS = [
    # code, name, function, network, employer
    ("INSTALL-2W", "锦江双向安装队", "install", "two_way", "in_house"),
    ("REPAIR-2W", "锦江双向维修队", "repair", "two_way", "in_house"),
    ("REPAIR-1W", "锦江单向维修队", "repair", "one_way", "in_house"),
    ("REPAIR-CONTRACTOR", "蓉城代维维修队", "repair", "two_way", "contractor"),
    ("DL", "专线对接组", "dedicated_line", "two_way", "in_house"),
    ("DATA-ENTRY", "资料录入组", "data_entry", None, "in_house"),
    ("COMPLAINT", "投诉处理组", "complaint", None, "in_house"),
]

CUSTOMERS = [
    # key, tier, network
    ("ordinary", "ordinary", "two_way"),
    ("vip", "vip", "two_way"),
    ("company", "dedicated_line", "two_way"),
    ("one_way", "ordinary", "one_way"),
]


@dataclass
class World:
    area: int = 0
    other_area: int = 0
    community: int = 0
    road: int = 0
    users: dict[str, Caller] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)

    def uid(self, username: str) -> int:
        return self.users[username].id


async def build_world() -> World:
    world = World()
    world.area = (await Area.insert(Area(code="JJ", name="锦江片区")))[0]["id"]
    world.other_area = (await Area.insert(Area(code="QY", name="青羊片区")))[0]["id"]
    world.community = (await Community.insert(Community(area=world.area, name="锦华苑")))[0]["id"]
    world.road = (await Road.insert(Road(area=world.area, name="春熙路")))[0]["id"]
    for code, name, function, network, employer in TEAMS:
        row = await Team.insert(
            Team(
                code=code,
                name=name,
                function=function,
                network=network,
                employer=employer,
                area=world.area,
            )
        )
        world.teams[code] = row[0]["id"]
    for username, role, name, team in USERS:
        user_id = await create_user(
            username, name, role, PASSWORD, world.teams.get(team) if team else None, world.area
        )
        world.users[username] = Caller(
            id=user_id,
            username=username,
            display_name=name,
            role=role.value,
            team_id=world.teams.get(team) if team else None,
            area_id=world.area,
        )
    for index, (key, tier, network) in enumerate(CUSTOMERS):
        row = await Customer.insert(
            Customer(
                account_no=f"028{index:07d}",
                name=f"客户{key}",
                phone=f"1380000{index:04d}",
                tier=tier,
                network=network,
                area=world.area,
                community=world.community,
                road=world.road,
                address=f"锦江区春熙路{index + 1}号",
            )
        )
        world.customers[key] = row[0]["id"]
    await Material.insert(
        Material(code="ONU", name="光猫", unit="台"),
        Material(code="STB", name="机顶盒", unit="台"),
        Material(code="FIBER", name="皮线光缆", unit="米"),
    )
    assert await StaffUser.count() == len(USERS)
    return world
