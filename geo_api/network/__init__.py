"""The walking network: roads noded into a graph (pgRouting), the gates and stations
joined to it, walking distances along it, and stations' service areas."""
