"""Matching open demands to the resources that can meet them (issue 17): walking
distances along the network, then an exact capacity-respecting assignment."""
