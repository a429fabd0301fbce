-- Loads hits.parquet as ClickBench's DuckDB entry does: times are int64 Unix seconds,
-- EventDate uint16 days, strings binary (read as VARCHAR).
INSERT INTO hits SELECT * REPLACE (
    epoch_ms(EventTime * 1000) AS EventTime,
    DATE '1970-01-01' + CAST(EventDate AS INTEGER) AS EventDate,
    epoch_ms(ClientEventTime * 1000) AS ClientEventTime,
    epoch_ms(LocalEventTime * 1000) AS LocalEventTime
) FROM read_parquet('{file}', binary_as_string = true);
