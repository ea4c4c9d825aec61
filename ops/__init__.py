"""Operating the service: backups and their restore (cli.py backup / restore)."""
