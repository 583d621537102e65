-- uses: example schema
-- Mixed directions need an index with the same mixed directions.
CREATE INDEX alerts_user_severity_idx ON alerts (user_id, severity ASC, created_at DESC, id ASC);
