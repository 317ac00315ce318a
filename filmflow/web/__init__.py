"""The light table (`filmflow serve`): a second face beside `cli/`, a local web app over the catalog.

It imports the core; nothing imports it (the CLI's `serve` command imports it lazily).
"""
