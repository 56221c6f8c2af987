"""Signed course certificates: the stored record, Ed25519 keys, and the Open Badges 3.0 credential."""
