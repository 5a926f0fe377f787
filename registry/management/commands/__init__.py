"""The register's commands: load_demo."""
