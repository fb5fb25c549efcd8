"""Where to open new outposts (驿站): maximal covering and set cover over candidate sites."""
