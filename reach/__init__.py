"""Reaching technicians on several channels, with receipts and escalation (issue 18)."""
