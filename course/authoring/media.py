"""Images for lessons: uploaded by trainers, stored under content-addressed names, served to everyone."""

from __future__ import annotations
