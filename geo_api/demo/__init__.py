"""The synthetic Houma-like demo city: generator and loader."""
