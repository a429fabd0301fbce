-- Loads ClickHouse TSV (hits.tsv). DuckDB's CSV reader does not undo ClickHouse's
-- backslash escapes, so strings holding \t, \n, \\ or \' keep the escapes.
INSERT INTO hits SELECT * FROM read_csv('{file}', delim = '\t', header = false,
    quote = '', escape = '', columns = {columns});
