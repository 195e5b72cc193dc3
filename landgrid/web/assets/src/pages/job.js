// A job's page follows the job without a reload: its status document is polled (1 s, then
// slower) until the job is final; then the page's job section is replaced by the server's
// rendering of the final state (failure reason, or the results for people).

import { getJson, h, request, say } from './common.js';
import { resultMaps } from './maps.js';

const FINAL = ['successful', 'failed', 'dismissed'];
const section = document.getElementById('job');

function showStatus(status) {
  const badge = document.querySelector('#job-status .status');
  badge.className = `status status-${status.status}`;
  badge.textContent = status.status;
  const progress = status.progress ?? 0;
  document.getElementById('job-progress').value = progress;
  document.getElementById('job-percent').textContent = `${progress} %`;
  document.getElementById('job-message').textContent = status.message ?? '';
  for (const key of ['started', 'finished']) {
    const cell = document.getElementById(`job-${key}`);
    if (status[key] && !cell.textContent.trim()) {
      cell.replaceChildren(h('time', { datetime: status[key] }, `${status[key].slice(0, 19).replace('T', ' ')} UTC`));
    }
  }
}

/** Replace the job section by the server's page of the job as it is now. */
async function showFinal() {
  const html = await (await request(`${section.dataset.href}?f=html`, { headers: { Accept: 'text/html' } })).text();
  const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('job');
  section.replaceChildren(...fresh.childNodes);
  section.dataset.status = fresh.dataset.status;
  resultMaps(section);
}

async function follow() {
  let delay = 1000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    let status;
    try {
      status = await getJson(section.dataset.href);
    } catch (error) {
      say(document.getElementById('action-error'), `Cannot read the job's status: ${error.message}`);
      delay = Math.min(delay * 2, 10000);
      continue;
    }
    showStatus(status);
    if (FINAL.includes(status.status)) return showFinal();
    delay = Math.min(delay + 250, 3000);
  }
}

function dismissButton() {
  const button = document.getElementById('dismiss');
  if (!button) return;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await request(section.dataset.href, { method: 'DELETE' });
    } catch (error) {
      say(document.getElementById('action-error'), error.message);
      button.disabled = false;
    }
  });
}

if (section) {
  resultMaps(section);
  dismissButton();
  if (!FINAL.includes(section.dataset.status)) follow();
} else {
  resultMaps(document);
}
