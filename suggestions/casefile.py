"""The case file 督办档案 (issue 14): every round kept, and the case facts derived from it.

Each answer (a unit's reply or an on-the-spot resolution) is a `Reply` row, each rating a
`Feedback` row (the voter's 选民评 or the receiving representative's 代表评), each co-unit
opinion a `CoOpinion` row, each progress report after a "B" answer a `FollowUpReport` row,
and each extension request an `ExtensionRequest` row with its decision. A re-handling round
adds rows; nothing is overwritten.

The figures every dashboard, the unit league table, the exports and the API show are sums of
a few *case facts* kept on `Suggestion`, and those facts are defined here, once, as one SQL
statement over the rounds (`FACTS`). The workflow runs it for the one suggestion it just
changed; the migration and the demo generators run it for every suggestion. The definitions:

- ``answers``: answers given, all rounds.
- ``answers_with_due`` / ``answers_on_time``: answers that had a deadline in force when they
  were given (a unit's reply; an on-the-spot resolution has none), and those given on or
  before it. A late first reply stays late after an on-time re-handled one.
- ``answers_timed`` / ``answer_working_days``: answers whose round start is known, and the
  working days (statutory calendar) they took from the hand-over or the reopening rating.
- ``acks_with_due`` / ``acks_on_time``: hand-overs the lead unit acknowledged against a
  deadline, and those acknowledged by it.
- ``first_rating``: the voter's rating of the first answer (first-round satisfaction).
- ``rating``: the voter's rating of the latest answer (final satisfaction); empty while the
  latest answer is not rated, e.g. during re-handling.
- ``rep_rating``: the receiving representative's rating of the latest answer.

The rates built from them live in `dashboards.measures.Figures`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

# One statement, correlated by suggestion id: the same text runs on PostgreSQL and SQLite.
_FACTS_SET = """
    answers = (SELECT COUNT(*) FROM suggestions_reply r WHERE r.suggestion_id = suggestions_suggestion.id),
    answers_with_due = (
        SELECT COUNT(*) FROM suggestions_reply r
        WHERE r.suggestion_id = suggestions_suggestion.id AND r.on_time IS NOT NULL
    ),
    answers_on_time = (
        SELECT COUNT(*) FROM suggestions_reply r
        WHERE r.suggestion_id = suggestions_suggestion.id AND r.on_time
    ),
    answers_timed = (
        SELECT COUNT(*) FROM suggestions_reply r
        WHERE r.suggestion_id = suggestions_suggestion.id AND r.working_days IS NOT NULL
    ),
    answer_working_days = COALESCE((
        SELECT SUM(r.working_days) FROM suggestions_reply r WHERE r.suggestion_id = suggestions_suggestion.id
    ), 0),
    acks_with_due = (
        SELECT COUNT(*) FROM suggestions_assignment a
        WHERE a.suggestion_id = suggestions_suggestion.id AND a.role = 'lead' AND a.acknowledged_late IS NOT NULL
    ),
    acks_on_time = (
        SELECT COUNT(*) FROM suggestions_assignment a
        WHERE a.suggestion_id = suggestions_suggestion.id AND a.role = 'lead' AND NOT a.acknowledged_late
    ),
    first_rating = COALESCE((
        SELECT f.rating FROM suggestions_feedback f JOIN suggestions_reply r ON r.id = f.reply_id
        WHERE f.suggestion_id = suggestions_suggestion.id AND f.party = 'voter' AND r.round = 1
    ), ''),
    rating = COALESCE((
        SELECT f.rating FROM suggestions_feedback f JOIN suggestions_reply r ON r.id = f.reply_id
        WHERE f.suggestion_id = suggestions_suggestion.id AND f.party = 'voter' AND r.round = (
            SELECT MAX(r2.round) FROM suggestions_reply r2 WHERE r2.suggestion_id = suggestions_suggestion.id
        )
    ), ''),
    rep_rating = COALESCE((
        SELECT f.rating FROM suggestions_feedback f JOIN suggestions_reply r ON r.id = f.reply_id
        WHERE f.suggestion_id = suggestions_suggestion.id AND f.party = 'representative' AND r.round = (
            SELECT MAX(r2.round) FROM suggestions_reply r2 WHERE r2.suggestion_id = suggestions_suggestion.id
        )
    ), '')
"""

FACT_FIELDS: tuple[str, ...] = (
    "answers",
    "answers_with_due",
    "answers_on_time",
    "answers_timed",
    "answer_working_days",
    "acks_with_due",
    "acks_on_time",
    "first_rating",
    "rating",
    "rep_rating",
)


def case_facts_refresh(*, suggestion_ids: Iterable[int] | None = None) -> int:
    """Recompute the case facts of these suggestions (all when None) from their rounds.
    Returns the number of rows written."""
    sql = f"UPDATE suggestions_suggestion SET {_FACTS_SET}"
    params: list[int] = []
    if suggestion_ids is not None:
        ids = sorted(set(suggestion_ids))
        if not ids:
            return 0
        sql += f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


# ---------------------------------------------------------------------------------------------
# Building the case file from the event log: the migration that introduced it, and the demo
# and volume generators, which write events in bulk. Set-based, so a province's million
# suggestions take a handful of statements.
# ---------------------------------------------------------------------------------------------


def _json_text(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def _json_bool(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column} ->> '{key}')::boolean)"
    return f"(json_extract({column}, '$.{key}') = 1)"


def _json_int(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column} ->> '{key}')::integer)"
    return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"


def _json_date(column: str, key: str) -> str:
    if connection.vendor == "postgresql":
        return f"(NULLIF({column} ->> '{key}', '')::date)"
    return f"date(json_extract({column}, '$.{key}'))"


def _true() -> str:
    return "TRUE" if connection.vendor == "postgresql" else "1"


def _false() -> str:
    return "FALSE" if connection.vendor == "postgresql" else "0"


@transaction.atomic
def case_file_from_events(*, suggestion_ids: Iterable[int] | None = None) -> None:
    """Build the rounds of suggestions that have none yet from their events, then their facts.

    The latest answer and rating keep their text from the suggestion's columns; the text of an
    earlier answer was overwritten before the case file existed and is marked as not kept
    (its category, time, actor and lateness come from its event).
    """
    ids = None if suggestion_ids is None else sorted(set(suggestion_ids))
    if ids is not None and not ids:
        return
    only = "" if ids is None else f" AND e.suggestion_id IN ({', '.join(str(int(i)) for i in ids)})"
    no_rounds = "NOT EXISTS (SELECT 1 FROM suggestions_reply x WHERE x.suggestion_id = e.suggestion_id)"
    t, f = _true(), _false()
    category = _json_text("ev.data", "category")
    late = _json_bool("ev.data", "late")
    statements = [
        # Answers, numbered in time order.
        f"""
        INSERT INTO suggestions_reply (suggestion_id, round, unit_id, resolved_on_spot, category, text,
            follow_up_due, due, on_time, started_on, working_days, replied_at, actor_id, event_id, text_lost)
        SELECT ev.suggestion_id, ev.rnd,
            CASE WHEN ev.action = 'suggestion.replied' THEN s.lead_unit_id END,
            CASE WHEN ev.action = 'suggestion.resolved_on_spot' THEN {t} ELSE {f} END,
            COALESCE(NULLIF({category}, ''), NULLIF(s.reply_category, ''), 'A'),
            CASE WHEN ev.rev = 1 AND s.replied_at IS NOT NULL THEN s.reply_text ELSE '' END,
            {_json_date("ev.data", "follow_up_due")},
            CASE WHEN ev.rev = 1 AND ev.action = 'suggestion.replied' THEN s.reply_due END,
            CASE WHEN ev.action = 'suggestion.replied' THEN
                CASE WHEN COALESCE({late}, {f}) THEN {f} ELSE {t} END END,
            NULL, NULL, ev.created_at, ev.actor_id, ev.id,
            CASE WHEN ev.rev = 1 AND s.replied_at IS NOT NULL THEN {f} ELSE {t} END
        FROM (
            SELECT e.id, e.suggestion_id, e.action, e.created_at, e.actor_id, e.data,
                ROW_NUMBER() OVER (PARTITION BY e.suggestion_id ORDER BY e.created_at, e.id) AS rnd,
                ROW_NUMBER() OVER (PARTITION BY e.suggestion_id ORDER BY e.created_at DESC, e.id DESC) AS rev
            FROM suggestions_suggestionevent e
            WHERE e.action IN ('suggestion.replied', 'suggestion.resolved_on_spot') AND {no_rounds}{only}
        ) ev JOIN suggestions_suggestion s ON s.id = ev.suggestion_id
        """,
        # Ratings, each on the latest answer given before it; a rating recorded by the
        # representative was the voter's opinion relayed by them before 代表评 existed.
        f"""
        INSERT INTO suggestions_feedback (suggestion_id, reply_id, party, via, rating, text, outcome, given_at,
            actor_id)
        SELECT ev.suggestion_id,
            (SELECT r.id FROM suggestions_reply r WHERE r.suggestion_id = ev.suggestion_id
                AND r.replied_at <= ev.created_at ORDER BY r.round DESC LIMIT 1),
            'voter',
            CASE {_json_text("ev.data", "via")} WHEN 'link' THEN 'link' WHEN 'representative' THEN 'representative'
                ELSE 'call_back' END,
            {_json_text("ev.data", "rating")},
            CASE WHEN ev.rev = 1 AND s.feedback_at IS NOT NULL THEN s.feedback_text ELSE '' END,
            COALESCE({_json_text("ev.data", "outcome")}, ''),
            ev.created_at, ev.actor_id
        FROM (
            SELECT e.id, e.suggestion_id, e.created_at, e.actor_id, e.data,
                ROW_NUMBER() OVER (PARTITION BY e.suggestion_id ORDER BY e.created_at DESC, e.id DESC) AS rev
            FROM suggestions_suggestionevent e
            WHERE e.action = 'suggestion.feedback_received'
                AND NOT EXISTS (SELECT 1 FROM suggestions_feedback x WHERE x.suggestion_id = e.suggestion_id){only}
        ) ev JOIN suggestions_suggestion s ON s.id = ev.suggestion_id
        WHERE EXISTS (SELECT 1 FROM suggestions_reply r WHERE r.suggestion_id = ev.suggestion_id
            AND r.replied_at <= ev.created_at)
        ON CONFLICT DO NOTHING
        """,
        # Co-unit opinions, on the co-unit's assignment.
        f"""
        INSERT INTO suggestions_coopinion (assignment_id, suggestion_id, unit_id, text, due, late, given_at, actor_id)
        SELECT a.id, e.suggestion_id, a.unit_id, e.note, a.due, COALESCE({_json_bool("e.data", "late")}, {f}),
            e.created_at, e.actor_id
        FROM suggestions_suggestionevent e JOIN suggestions_assignment a ON a.id = (
            SELECT a2.id FROM suggestions_assignment a2 WHERE a2.suggestion_id = e.suggestion_id
                AND a2.unit_id = {_json_int("e.data", "unit")} AND a2.role = 'co'
            ORDER BY a2.is_active DESC, a2.id DESC LIMIT 1)
        WHERE e.action = 'suggestion.co_opinion_given'
            AND NOT EXISTS (SELECT 1 FROM suggestions_coopinion x WHERE x.suggestion_id = e.suggestion_id){only}
        """,
        # Progress reports after a "B" answer.
        f"""
        INSERT INTO suggestions_followupreport (suggestion_id, reply_id, text, solved, due, next_due, late,
            reported_at, actor_id)
        SELECT e.suggestion_id,
            (SELECT r.id FROM suggestions_reply r WHERE r.suggestion_id = e.suggestion_id
                AND r.replied_at <= e.created_at ORDER BY r.round DESC LIMIT 1),
            e.note, COALESCE({_json_bool("e.data", "solved")}, {f}), {_json_date("e.data", "previous_due")},
            {_json_date("e.data", "next_due")}, COALESCE({_json_bool("e.data", "late")}, {f}),
            e.created_at, e.actor_id
        FROM suggestions_suggestionevent e
        WHERE e.action = 'suggestion.follow_up_reported'
            AND NOT EXISTS (SELECT 1 FROM suggestions_followupreport x WHERE x.suggestion_id = e.suggestion_id){only}
        """,
        # The current hand-over's acknowledgement, from the suggestion and its event.
        f"""
        UPDATE suggestions_assignment SET
            ack_due = (SELECT s.ack_due FROM suggestions_suggestion s
                WHERE s.id = suggestions_assignment.suggestion_id),
            acknowledged_at = (SELECT s.acknowledged_at FROM suggestions_suggestion s
                WHERE s.id = suggestions_assignment.suggestion_id),
            acknowledged_late = (SELECT CASE WHEN s.acknowledged_at IS NULL OR s.ack_due IS NULL THEN NULL
                    WHEN EXISTS (SELECT 1 FROM suggestions_suggestionevent e
                        WHERE e.suggestion_id = s.id AND e.action = 'suggestion.acknowledged'
                        AND COALESCE({_json_bool("e.data", "late")}, {f})) THEN {t} ELSE {f} END
                FROM suggestions_suggestion s WHERE s.id = suggestions_assignment.suggestion_id)
        WHERE role = 'lead' AND is_active AND acknowledged_at IS NULL
            {"" if ids is None else f"AND suggestion_id IN ({', '.join(str(int(i)) for i in ids)})"}
        """,
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    case_facts_refresh(suggestion_ids=ids)
