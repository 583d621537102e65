-- a column for tags
ALTER TABLE notes
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  ADD CONSTRAINT;
