//! `/play`: a minimal page to type a query and see its result, like ClickHouse's Play UI.

/// The page. It POSTs the query text to `/` with `default_format` chosen on the page and
/// shows the answer (or the exception text) below.
pub const PLAY_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>Granary Play</title>
<style>
body { font-family: sans-serif; margin: 1em; }
textarea { width: 100%; height: 10em; font-family: monospace; font-size: 14px; }
pre { background: #f4f4f4; padding: 0.5em; overflow: auto; }
.error { color: #b00; }
</style>
</head>
<body>
<h3>Granary Play</h3>
<textarea id="query" spellcheck="false">SELECT number, number * 2 AS doubled FROM numbers(10)</textarea>
<p>
<button id="run">Run (Ctrl+Enter)</button>
<select id="format">
<option>PrettyCompact</option>
<option>JSONCompact</option>
<option>TabSeparatedWithNames</option>
</select>
<span id="status"></span>
</p>
<pre id="result"></pre>
<script>
async function run() {
  const status = document.getElementById('status');
  const result = document.getElementById('result');
  const format = document.getElementById('format').value;
  status.textContent = 'running...';
  const started = performance.now();
  try {
    const response = await fetch('/?default_format=' + encodeURIComponent(format), {
      method: 'POST',
      body: document.getElementById('query').value,
    });
    const text = await response.text();
    result.className = response.ok ? '' : 'error';
    result.textContent = text;
    const ms = (performance.now() - started).toFixed(0);
    status.textContent = response.status + ' in ' + ms + ' ms';
  } catch (e) {
    result.className = 'error';
    result.textContent = String(e);
    status.textContent = 'failed';
  }
}
document.getElementById('run').addEventListener('click', run);
document.getElementById('query').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
});
</script>
</body>
</html>
"#;
