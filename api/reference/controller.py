"""Reference data (places, teams, materials), staff for assignment, and customer files."""

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromQuery, PathParameter, QueryParameter

from api.auth.guards import ANY_ROLE, roles
from domain.vocabulary import DISPATCH_ROLES, OFFICE_ROLES, Role
from services.auth.schemas import Caller
from services.reference import schemas as s
from services.reference.service import active_staff, find_customers, read_customer, reference_data

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
        return await active_staff(role, team_id)

    @get("/customers", opt=roles(OFFICE_ROLES))
    async def customers(
        self, q: Search = None, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20
    ) -> list[s.CustomerOut]:
        """Find customers by name, phone or account number (to raise an order)."""
        return await find_customers(q, limit)

    @get("/customers/{customer_id:int}", opt=roles(OFFICE_ROLES))
    async def customer(
        self,
        customer_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)],
        request: Request[Caller, str, object],
    ) -> s.CustomerOut:
        """One customer file. The read is logged (customer data is confidential)."""
        return await read_customer(request.user, customer_id)
