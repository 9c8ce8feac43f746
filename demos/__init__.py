"""Demo runbooks for a speaker: one script per scenario, run with `python -m demos.<name>`."""
