"""Content files ↔ database revisions, and the per-process cache of the rendered catalog."""
