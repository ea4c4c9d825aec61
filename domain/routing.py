"""The routing matrix (§2.1.2 C–D): which team may take which kind of order, on which network,
and which kinds a contractor's team (代维公司) may take in an area (the contractor routing policy:
rows are versions per area, edited by supervisors; an area without its own rows follows the
branch-wide one, and without any, DEFAULT_CONTRACTOR_KINDS)."""

from collections.abc import Iterable
from enum import StrEnum

from domain.errors import Issue
from domain.vocabulary import Employer, Kind


class TeamFunction(StrEnum):
    install = "install"  # 安装队伍
    repair = "repair"  # 维修队伍
    dedicated_line = "dedicated_line"  # 专线对接
    data_entry = "data_entry"  # 资料录入
    branch_office = "branch_office"  # 营业网点
    complaint = "complaint"  # 投诉处理


ROUTES: dict[Kind, frozenset[TeamFunction]] = {
    Kind.install: frozenset({TeamFunction.install}),
    Kind.repair: frozenset({TeamFunction.repair}),
    Kind.after_sales: frozenset({TeamFunction.data_entry, TeamFunction.branch_office}),
    Kind.transfer: frozenset({TeamFunction.data_entry, TeamFunction.branch_office}),
    Kind.complaint: frozenset({TeamFunction.complaint}),
    Kind.consultation: frozenset({TeamFunction.data_entry, TeamFunction.branch_office}),
    Kind.dedicated_line: frozenset({TeamFunction.dedicated_line}),
}


# Contractors maintain the plant in the field: installs and repairs, not dedicated lines or office work.
DEFAULT_CONTRACTOR_KINDS = frozenset({Kind.install, Kind.repair})


def contractor_kinds_in_force(rows: Iterable[dict], area_id: int) -> frozenset[str]:
    """The kinds contractors may take in `area_id`, from policy rows (`area`, `kinds`) oldest first:
    the area's newest row, else the newest branch-wide one (area None), else the default."""
    own = branch = None
    for row in rows:
        if row["area"] == area_id:
            own = row
        elif row["area"] is None:
            branch = row
    chosen = own or branch
    return frozenset(chosen["kinds"]) if chosen else frozenset(DEFAULT_CONTRACTOR_KINDS)


# Teams that go to the customer's premises, and so must match the customer's network.
FIELD_FUNCTIONS = frozenset(
    {TeamFunction.install, TeamFunction.repair, TeamFunction.dedicated_line}
)


def route_issues(
    kind: str,
    customer_network: str,
    team_function: str | None,
    team_network: str | None,
    team_employer: str | None = None,
    contractor_kinds: frozenset[str] = DEFAULT_CONTRACTOR_KINDS,
) -> list[Issue]:
    """Why a team may not take this order; empty when it may."""
    if team_function is None:
        return [Issue("routing.no_team", {"kind": kind}, "assignee")]
    allowed = ROUTES[Kind(kind)]
    if team_function not in allowed:
        return [
            Issue(
                "routing.wrong_team",
                {"kind": kind, "team_function": team_function, "allowed": sorted(allowed)},
                "assignee",
            )
        ]
    if team_function in FIELD_FUNCTIONS and team_network and team_network != customer_network:
        return [
            Issue(
                "routing.wrong_network",
                {"team_network": team_network, "customer_network": customer_network},
                "assignee",
            )
        ]
    if team_employer == Employer.contractor and kind not in contractor_kinds:
        return [
            Issue(
                "routing.contractor_kind",
                {"kind": kind, "contractor_kinds": sorted(contractor_kinds)},
                "assignee",
            )
        ]
    return []
