"""HTTP: one folder per area (controller, schemas, service); app assembled in app.py."""
