"""A case's results as the public may see them: KPI values the counselling team
accepted, business statuses and ratings, read from the follow-up records."""

from __future__ import annotations
