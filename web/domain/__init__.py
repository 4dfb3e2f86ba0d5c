"""The hub's domain as plain functions over a sqlite-utils Database.

Views and CLI commands parse input, call these, and render; nothing here knows
about HTTP or the terminal.
"""
