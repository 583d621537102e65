-- A bookshop as a new team writes it: full-text search (generated tsvector, GIN), jsonb attributes (GIN
-- jsonb_path_ops), an array of formats (GIN), a category tree, and promotions over a tstzrange (GiST exclusion).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE categories (id int8 PRIMARY KEY, parent_id int8 REFERENCES categories, name text NOT NULL);
CREATE INDEX categories_parent ON categories (parent_id);
CREATE TABLE books (
  id int8 PRIMARY KEY,
  category_id int8 NOT NULL REFERENCES categories,
  title text NOT NULL,
  price numeric NOT NULL,
  attrs jsonb NOT NULL DEFAULT '{}',
  formats text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED
);
CREATE INDEX books_created ON books (created_at, id);
CREATE INDEX books_category_created ON books (category_id, created_at, id);
CREATE INDEX books_search ON books USING gin (search);
CREATE INDEX books_attrs ON books USING gin (attrs jsonb_path_ops);
CREATE INDEX books_formats ON books USING gin (formats);
CREATE TABLE promotions (
  id int8 PRIMARY KEY,
  book_id int8 NOT NULL REFERENCES books,
  during tstzrange NOT NULL,
  created_at timestamptz NOT NULL,
  EXCLUDE USING gist (book_id WITH =, during WITH &&)
);
CREATE INDEX promotions_during ON promotions USING gist (during);
INSERT INTO categories VALUES (1, NULL, 'fiction'), (2, 1, 'crime');
INSERT INTO books (id, category_id, title, price, attrs, formats, created_at) VALUES
  (1, 1, 'The Long Goodbye', 12, '{"signed": true}', '{paperback}', '2024-01-01'),
  (2, 2, 'Farewell, My Lovely', 10, '{}', '{ebook,paperback}', '2024-02-01');
INSERT INTO promotions VALUES (1, 1, '[2024-01-01,2024-02-01)', '2024-01-01');
