"""Registered members' service: activities, the "four to" steps, points, records and
year-end summaries (issue 17). Plain Python over the store; the API and CLI are shells.
"""
