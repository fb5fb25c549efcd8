"""Test data: files made by scripts, for the tests and for people to look at."""
