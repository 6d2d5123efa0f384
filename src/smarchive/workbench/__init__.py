"""The archivists' workbench: `smarchive serve`, a web application over the archive (app.py), its users and
roles (users.py) and its audit log (audit.py). It reads the manifest in place through DuckDB and records
decisions as archive records (smarchive.archive.decisions)."""
