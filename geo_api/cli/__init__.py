"""The gridgov command-line tool: thin commands over the domain."""
