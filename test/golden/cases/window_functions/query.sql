-- name: windowed :stream
-- allow: seqscan golden case over a tiny table
SELECT id, row_number() OVER w AS rn, rank() OVER w AS rk, dense_rank() OVER w AS drk, percent_rank() OVER w AS pr,
       cume_dist() OVER w AS cd, ntile(2) OVER w AS tile, count(b) OVER w AS cnt, lag(a) OVER w AS prev_a,
       first_value(a) OVER w AS first_a, sum(a) OVER w AS running
FROM t
WINDOW w AS (ORDER BY a, id);
