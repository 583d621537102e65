-- Every param type a generated input schema reads, and a :list's limit and cursor: each schema's input type is
-- the function's param type (clientType<Date> for a timestamp), so typed HTTP clients see the SDK's types.
CREATE TYPE level AS ENUM ('low', 'high');
CREATE TABLE events (
  id bigint PRIMARY KEY,
  owner_id bigint NOT NULL,
  level level NOT NULL,
  amount numeric NOT NULL,
  count int NOT NULL,
  payload jsonb NOT NULL,
  tags text[] NOT NULL,
  happened_at timestamptz NOT NULL
);
CREATE INDEX events_owner_happened ON events (owner_id, happened_at DESC, id DESC);
