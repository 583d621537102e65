-- name: legacyCodes :stream
-- allow: seqscan golden case over a tiny table
SELECT code FROM legacy;

-- name: checkedCodes :stream
-- allow: seqscan golden case over a tiny table
SELECT code FROM checked;
