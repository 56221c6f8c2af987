"""The audit log: who did what when, for security-relevant actions (recorded by the areas, read by admins)."""
