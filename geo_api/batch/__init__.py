"""Batch work on a Dask distributed cluster: the cluster, and the store's snapshot
every worker of a run reads in."""
