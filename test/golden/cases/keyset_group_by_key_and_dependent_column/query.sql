-- name: memberTotals :list
-- order: id
SELECT m.id, m.display_name, sum(te.minutes)::int8 AS minutes
FROM members m CROSS JOIN time_entries te
WHERE te.member_id = m.id
GROUP BY m.id, m.display_name;
