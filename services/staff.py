"""Staff as other areas name them: display names by user id (in one query), and references."""

from collections.abc import Iterable

from db.tables import StaffUser
from services.types import Ref


async def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """The display names of the users `ids` names (None and repeats skipped)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.display_name).where(
        StaffUser.id.is_in(wanted)
    )
    return {r["id"]: r["display_name"] for r in rows}


def staff_ref(id_: int | None, names: dict[int, str]) -> Ref | None:
    """A user as payloads name them (id and display name, from `display_names`); None for none."""
    return Ref(id=id_, name=names.get(id_, "")) if id_ is not None else None
