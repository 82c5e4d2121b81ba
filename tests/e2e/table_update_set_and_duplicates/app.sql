-- UPDATE ... SET with the table's old value; INSERT INTO a table with a key that is already there
-- is not written: counted as dropped and logged. An UPDATE that finds no row changes nothing.
CREATE TABLE Accounts (id INT PRIMARY KEY, owner STRING, balance DECIMAL(12,2));
CREATE STREAM Opened (id INT, owner STRING);
CREATE STREAM Deposits (account INT, amount DECIMAL(12,2));
CREATE STREAM Lookups (id INT);
INSERT INTO Accounts SELECT id, owner, CAST(0 AS DECIMAL(12,2)) AS balance FROM Opened;
UPDATE Accounts SET balance = Accounts.balance + amount ON Accounts.id = account SELECT account, amount FROM Deposits WHERE amount > 0;
INSERT INTO Balances SELECT q.id, a.owner, a.balance FROM Lookups AS q JOIN Accounts AS a ON a.id = q.id;
