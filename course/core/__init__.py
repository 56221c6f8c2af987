"""The course's knowledge in plain Python: no Flask, no SQLAlchemy, plain data in and out."""
