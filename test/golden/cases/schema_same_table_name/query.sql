-- name: publicItems :stream
-- allow: seqscan golden case over a tiny table
SELECT x FROM items;

-- name: otherItems :stream
-- allow: seqscan golden case over a tiny table
SELECT x FROM other.items;

-- name: bothItems :stream
-- allow: seqscan golden case over a tiny table
SELECT i.x, o.x AS other_x, other.items.id FROM items i JOIN other.items ON other.items.id = i.id JOIN other.items o ON o.id = i.id;
