"""Who may call the API: keys, roles, the audit log of personal data, rate limits."""
