@Async(buffr_size='1024', backpressure='dropp')
CREATE STREAM S (a INT);
@onError(action='ignore')
CREATE STREAM T (a INT);
