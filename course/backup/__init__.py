"""Backup and restore of a whole site: `flask backup create FILE` and `flask backup restore FILE`."""
