"""Groups of accounts (teams): who is in which group, in what part, and where the membership came from."""
