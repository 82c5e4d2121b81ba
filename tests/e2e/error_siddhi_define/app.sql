define stream StockStream (symbol string, price float);
