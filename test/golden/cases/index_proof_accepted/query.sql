-- name: searchBooks :list
-- order: created_at DESC, id DESC
SELECT id, title, created_at FROM books WHERE search @@ websearch_to_tsquery('english', :q);

-- name: booksWithAttrs :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE attrs @> :attrs::jsonb;

-- name: booksInFormat :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE formats @> ARRAY[:format::text];

-- name: booksInAnyFormat :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE formats && :formats::text[];

-- name: promotionsDuring :list
-- order: created_at, id
SELECT id, book_id, created_at FROM promotions WHERE during && tstzrange(:from::timestamptz, :to::timestamptz);

-- name: rankedInCategory :list
-- order: created_at, id
SELECT id, title, created_at, rank() OVER (ORDER BY price DESC) AS price_rank FROM books WHERE category_id = :categoryId;

-- name: categorySubtree :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id FROM categories WHERE id = :rootId
  UNION ALL
  SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT c.id, c.name FROM categories c WHERE c.id IN (SELECT id FROM tree);

-- name: latestPerCategory :list
-- order: category_id
SELECT DISTINCT ON (category_id) category_id, id, title, created_at FROM books ORDER BY category_id, created_at DESC, id DESC;

-- name: booksInCategory :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE category_id = :categoryId;

-- name: exportBooks :stream
SELECT id, title, price FROM books;
