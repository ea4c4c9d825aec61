"""The operator's rules as plain functions: no HTTP, no SQL.

vocabulary  the words of the dispatch manual (roles, kinds, states, …)
lifecycle   the work-order state machine and who may take each step
clocks      time limits computed from an order's event history
closure     what a closure must contain
calendar    working days for the callback clock
routing     which team serves which kind and network
priority    which orders are high priority
messages    user-facing texts in zh-CN and en
"""
