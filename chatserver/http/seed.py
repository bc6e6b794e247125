"""The HTTP modules of the seed schema (GrowCommunity and the career platform), in one
list so that chatserver/app.py appends them with one line."""

from __future__ import annotations

from chatserver.http import (
    anonymous,
    communities,
    connections,
    forms,
    invites,
    jobs,
    skills,
    typed_messages,
)

SEED_API_MODULES = [communities, typed_messages, invites, connections, anonymous, forms, skills, jobs]
