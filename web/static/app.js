// Progressive enhancement only: every action works without this file (plain forms and pages).
// With it: machine cards update live from Server-Sent Events, lease countdowns tick, SSH commands copy.
(() => {
  const remaining = (ms) => {
    if (ms <= 0) return 'expired';
    const d = Math.floor(ms / 86400000);
    const h = Math.floor((ms % 86400000) / 3600000);
    const m = Math.floor((ms % 3600000) / 60000);
    if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
    if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
    return `${Math.max(1, m)}m`;
  };
  const tick = () => {
    for (const el of document.querySelectorAll('[data-lease-ends]')) {
      el.textContent = remaining(Date.parse(el.getAttribute('data-lease-ends')) - Date.now());
    }
  };
  setInterval(tick, 30000);

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-copy]');
    if (!button) return;
    navigator.clipboard?.writeText(button.getAttribute('data-copy')).then(() => {
      const before = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => {
        button.textContent = before;
      }, 1500);
    });
  });

  const live = document.querySelector('[data-live]');
  if (!live || !window.EventSource) return;
  const status = document.querySelector('.live');
  const source = new EventSource(live.getAttribute('data-live'));
  source.addEventListener('open', () => status?.setAttribute('data-state', 'on'));
  source.addEventListener('error', () => status?.setAttribute('data-state', 'off'));
  source.addEventListener('machine', (event) => {
    const { id, mine, html } = JSON.parse(event.data);
    const current = document.getElementById(`machine-${id}`);
    const holder = document.createElement('div');
    holder.innerHTML = html;
    const next = holder.firstElementChild;
    if (!next) return;
    if (current) current.replaceWith(next);
    else if (mine && live.hasAttribute('data-live-list')) {
      live.querySelector('.empty')?.remove();
      live.append(next);
    }
    const note = document.getElementById('live-note');
    if (note) note.textContent = next.getAttribute('data-announce') || '';
  });
  source.addEventListener('gone', (event) => {
    const { id } = JSON.parse(event.data);
    document.getElementById(`machine-${id}`)?.remove();
  });
})();
