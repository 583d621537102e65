CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  owner_id bigint NOT NULL,
  body text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_owner_created ON notes (owner_id, created_at DESC, id DESC);
