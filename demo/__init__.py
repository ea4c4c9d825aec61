"""Demo data for a Chengdu city branch, loaded by `python cli.py seed-demo` (APP_MODE=demo only)."""
