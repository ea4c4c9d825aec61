"""Which orders are high priority (§1.2.1 C, §2.1.2 B, §2.1.3)."""

from domain.vocabulary import Kind, Priority, Source, Tier

# Urged this many times, an order is treated as high priority ("催单多次", §2.1.3 A b).
URGES_FOR_HIGH_PRIORITY = 2


def dedicated_line(tier: str, kind: str) -> bool:
    """A dedicated-line customer, or a dedicated-line order of any customer."""
    return tier == Tier.dedicated_line or kind == Kind.dedicated_line


def key_customer(tier: str, kind: str) -> bool:
    """重点客户: VIP or dedicated line. Short time limits, a detailed closure remark; the server
    sends the flag with each order so no screen decides it again."""
    return tier == Tier.vip or dedicated_line(tier, kind)


def clock_class(tier: str, kind: str, source: str) -> Priority:
    """The class whose time limits apply: VIP, dedicated-line, mayor-hotline and 110/119 orders
    get the short dispatch limit and the contact clock (§2.1.2 B). Fixed at creation."""
    if key_customer(tier, kind):
        return Priority.high
    if source in (Source.mayor_hotline, Source.emergency):
        return Priority.high
    return Priority.normal


def priority(clock_class_: str, urge_count: int, remark_flagged: bool) -> Priority:
    """What the queue sorts by: the clock class, raised by repeated urges or a flagged remark."""
    if clock_class_ == Priority.high:
        return Priority.high
    if urge_count >= URGES_FOR_HIGH_PRIORITY or remark_flagged:
        return Priority.high
    return Priority.normal
