"""The command line: one Typer module per command, registered in `app.py`."""
