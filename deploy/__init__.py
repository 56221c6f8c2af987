"""Running the course as operators do: several app servers behind nginx (cluster.py, nginx.conf)."""
