"""Business rules of the programme in plain Python: no Flask, no database."""
