"""The one place that turns rows into domain objects and back.

Use cases call these functions inside a transaction they opened; nothing here
commits. Modules split by aggregate.
"""
