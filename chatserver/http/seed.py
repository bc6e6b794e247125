"""The HTTP modules of the seed schema (GrowCommunity and the career platform), in one
list so that chatserver/app.py appends them with one line."""

from __future__ import annotations

from chatserver.http import (
    activity,
    ai_chats,
    analytics,
    anonymous,
    billing,
    bot_configs,
    communities,
    connections,
    documents,
    forms,
    invites,
    jobs,
    marketplace,
    planner,
    posts,
    profiles,
    retention,
    similarity,
    skills,
    smilefactory_ai,
    smilefactory_events,
    smilefactory_groups,
    typed_messages,
)

SEED_API_MODULES = [communities, typed_messages, invites, connections, anonymous, ai_chats, documents, skills, jobs,
                    planner, activity, forms, similarity, smilefactory_events, posts,
                    marketplace, smilefactory_groups, profiles, smilefactory_ai, billing, bot_configs, analytics, retention]
