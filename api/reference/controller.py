"""Reference data (places, teams, materials), staff for assignment, and customer files.
Every read of a customer file by office staff goes to the audit trail."""

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromQuery, PathParameter, QueryParameter

import servertime
from api.auth.guards import ANY_ROLE, roles
from db.tables import Customer, StaffUser
from domain.errors import NotFound
from domain.vocabulary import DISPATCH_ROLES, OFFICE_ROLES, Role
from services.audit import record_change
from services.auth.schemas import Caller
from services.reference import schemas as s
from services.reference.service import reference_data

Search = Annotated[
    str | None, QueryParameter(max_length=64, pattern=r"^[^\x00%_]*$", required=False)
]


class ReferenceController(Controller):
    path = "/api"
    tags = ["reference"]

    @get("/reference", opt=roles(ANY_ROLE))
    async def reference(self) -> s.Reference:
        """Places, teams, materials, clock policies and the manual's lists, for forms and devices."""
        return await reference_data()

    @get("/staff", opt=roles(DISPATCH_ROLES))
    async def staff(
        self,
        role: FromQuery[Role | None] = None,
        team_id: Annotated[
            int | None, QueryParameter(ge=1, le=2_147_483_647, required=False)
        ] = None,
    ) -> list[s.StaffOut]:
        """Active staff, to choose an assignee from."""
        query = StaffUser.select().where(StaffUser.active.eq(True))
        if role:
            query = query.where(StaffUser.role == role.value)
        if team_id:
            query = query.where(StaffUser.team == team_id)
        return [
            s.StaffOut(
                id=u["id"],
                username=u["username"],
                display_name=u["display_name"],
                role=u["role"],
                team_id=u["team"],
                area_id=u["area"],
                phone=u["phone"],
            )
            for u in await query.order_by(StaffUser.id)
        ]

    @get("/customers", opt=roles(OFFICE_ROLES))
    async def customers(
        self, q: Search = None, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20
    ) -> list[s.CustomerOut]:
        """Find customers by name, phone or account number (to raise an order)."""
        query = Customer.select().order_by(Customer.id).limit(limit)
        if q:
            pattern = f"%{q}%"
            query = query.where(
                Customer.name.like(pattern)
                | Customer.phone.like(pattern)
                | Customer.account_no.like(pattern)
            )
        return [_customer(c) for c in await query]

    @get("/customers/{customer_id:int}", opt=roles(OFFICE_ROLES))
    async def customer(
        self,
        customer_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)],
        request: Request[Caller, str, object],
    ) -> s.CustomerOut:
        """One customer file. The read is logged (customer data is confidential)."""
        row = await Customer.select().where(Customer.id == customer_id).first()
        if row is None:
            raise NotFound("customer.not_found", id=customer_id)
        caller = request.user
        await record_change(caller, "customer.read", str(customer_id), servertime.now())
        return _customer(row)


def _customer(c: dict) -> s.CustomerOut:
    return s.CustomerOut(
        id=c["id"],
        account_no=c["account_no"],
        name=c["name"],
        phone=c["phone"],
        tier=c["tier"],
        network=c["network"],
        area_id=c["area"],
        community_id=c["community"],
        road_id=c["road"],
        address=c["address"],
    )
