"""Staff as other areas name them: display names by user id, in one query."""

from collections.abc import Iterable

from db.tables import StaffUser


async def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """The display names of the users `ids` names (None and repeats skipped)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.display_name).where(
        StaffUser.id.is_in(wanted)
    )
    return {r["id"]: r["display_name"] for r in rows}
