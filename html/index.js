// Shows the server's info (GET /janus/info) on the landing page.
const status = document.getElementById('status');
const table = document.getElementById('info');
const plugins = document.getElementById('plugins');
const host = location.hostname || 'localhost';
document.getElementById('ws-url').textContent = `ws://${host}:8188/`;
document.getElementById('http-url').textContent = `${location.origin}/janus`;

function row(name, value) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  const td = document.createElement('td');
  th.textContent = name;
  td.textContent = String(value);
  tr.append(th, td);
  return tr;
}

try {
  const res = await fetch('/janus/info');
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const info = await res.json();
  const body = table.querySelector('tbody');
  for (const key of ['name', 'version_string', 'commit-hash', 'server-name', 'session-timeout',
                     'accepting-new-sessions', 'api_secret', 'auth_token']) {
    body.append(row(key, info[key]));
  }
  table.hidden = false;
  status.textContent = 'The server is up.';
  plugins.replaceChildren();
  const entries = Object.entries(info.plugins || {});
  if (entries.length === 0) plugins.innerHTML = '<li>No plugins loaded.</li>';
  for (const [pkg, p] of entries) {
    const li = document.createElement('li');
    li.textContent = `${pkg}: ${p.name} ${p.version_string}`;
    plugins.append(li);
  }
} catch (e) {
  status.textContent = `The server could not be reached (${e.message}).`;
  status.className = 'error';
}
