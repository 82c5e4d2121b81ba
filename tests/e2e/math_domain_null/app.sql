-- Outside a function's domain the result is NULL (no NaN in output).
CREATE STREAM S (x DOUBLE);
INSERT INTO Out SELECT x, sqrt(x) AS sq, ln(x) AS l, log10(x) AS lg, exp(x) AS e FROM S;
