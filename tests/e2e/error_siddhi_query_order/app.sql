CREATE STREAM S (v INT);
from S select v insert into Out;
