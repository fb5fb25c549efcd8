"""The command-centre wall (指挥大屏, ``?screen=big``): the command-centre map with
large cards, rankings, a 30-day trend, an alert list, a clock and place labels,
refreshed in place from /wall.json (geo_api.stats.wall)."""
