-- name: searchReviews :list
-- order: created_at DESC, id DESC
SELECT id, body, created_at FROM reviews WHERE body_search @@ plainto_tsquery('english', :q);
