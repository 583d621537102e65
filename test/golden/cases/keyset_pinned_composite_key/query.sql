-- name: tenantMembers :list
-- order: joined DESC, id DESC
SELECT id, joined FROM members WHERE tenant_id = 1;
