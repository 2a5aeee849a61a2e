"""simple_dsl: the smallest configuration app, a DSL line with a phone number.

It has no views and no backend: it is the walk-through example of EXTENDING.md.
"""
