-- The order ends in id, which is not unique here; code is. The fix appends code and never repeats id.
CREATE TABLE events (id int NOT NULL, code text NOT NULL UNIQUE, created_at timestamptz NOT NULL);
