"""Work run in a child process with bounded memory, so the server never grows."""
