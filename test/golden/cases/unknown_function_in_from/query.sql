-- name: pets :stream
-- allow: seqscan golden case over a tiny table
SELECT o.id, (SELECT label FROM pets(o.id)) AS pet_label, p.age FROM owners o, pets(o.id) AS p;
