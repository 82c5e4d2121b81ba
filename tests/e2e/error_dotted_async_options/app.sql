@Async(buffer.size='1024', batch.size.max='10')
CREATE STREAM S (data STRING);
