"""End-to-end browser tests (a package, so its module names cannot clash with tests/ at the top level)."""
