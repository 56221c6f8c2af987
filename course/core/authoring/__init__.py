"""The studio's pure parts: which paths may be edited, what a new file starts as, diffs and translation states."""
