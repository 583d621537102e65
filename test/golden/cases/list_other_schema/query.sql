-- name: eventsPage :list
-- order: id DESC
-- allow: seqscan golden case over a tiny table
SELECT e.id, e.kind, e.note AS "__proto__", e.at, upper(l.label) AS "label of ""event"""
FROM reporting.events e LEFT JOIN reporting.tags l ON l.event_id = e.id;
