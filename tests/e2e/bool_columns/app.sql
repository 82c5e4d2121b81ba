CREATE STREAM S (id INT, active BOOL);
INSERT INTO Out SELECT id, NOT active AS inactive, active = true AS is_true FROM S WHERE active OR id > 2;
