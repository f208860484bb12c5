// Progressive enhancement only: every action works without this file (plain forms and pages).
// With it: machine cards update live from the API's event stream (/api/v1/events), actions go to the
// REST API (/api/v1, with the session's CSRF token) without leaving the page, lease countdowns tick,
// SSH commands copy.
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
  const utc = (iso) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  const tick = () => {
    for (const el of document.querySelectorAll('[data-lease-ends]')) {
      el.textContent = remaining(Date.parse(el.getAttribute('data-lease-ends')) - Date.now());
    }
  };
  setInterval(tick, 30000);

  // A page reached after an action shows its outcome once: a reload or a bookmark must not repeat it.
  const shown = new URL(window.location.href);
  if (shown.searchParams.has('done') || shown.searchParams.has('error')) {
    shown.searchParams.delete('done');
    shown.searchParams.delete('error');
    window.history.replaceState(null, '', `${shown.pathname}${shown.search}${shown.hash}`);
  }

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

  // The outcome of an action, where the server puts its own (top of the page; announced).
  const flash = (kind, text) => {
    const main = document.getElementById('content');
    if (!main) return;
    for (const old of main.querySelectorAll(':scope > .flash')) old.remove();
    const el = document.createElement('div');
    el.className = `flash ${kind}`;
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.textContent = text;
    main.prepend(el);
  };

  // <form data-api="METHOD /api/v1/…" data-done="…" [data-api-body='{…}'] [data-then="/"] [data-remove="tr"]>
  document.addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-api]');
    if (!form || !window.fetch) return;
    event.preventDefault();
    const [method, path] = form.getAttribute('data-api').split(' ');
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    let answer;
    try {
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-csrf-token': form.querySelector('input[name="_csrf"]')?.value ?? '',
        },
        body: method === 'GET' ? undefined : (form.getAttribute('data-api-body') ?? '{}'),
      });
      answer = { status: res.status, body: await res.json().catch(() => ({})) };
    } catch {
      answer = { status: 0, body: {} };
    }
    if (button) button.disabled = false;
    if (answer.status < 200 || answer.status >= 300) {
      const message =
        answer.status === 401
          ? 'You are signed out. Sign in again, then repeat what you were doing. Nothing was changed.'
          : answer.body?.error?.message
            ? `${answer.body.error.message[0].toUpperCase()}${answer.body.error.message.slice(1)}`
            : 'TiSpace could not be reached. Nothing was changed; try again.';
      flash('error', message);
      return;
    }
    const done = form.getAttribute('data-done') ?? 'Done.';
    const then = form.getAttribute('data-then');
    if (then) {
      window.location.assign(`${then}?done=${encodeURIComponent(done)}`);
      return;
    }
    const machine = answer.body;
    const card = machine?.id && document.getElementById(`machine-${machine.id}`);
    const lease = card?.querySelector('[data-lease-ends]');
    if (lease && machine.leaseEndsAt && machine.leaseEndsAt !== lease.getAttribute('data-lease-ends')) {
      lease.setAttribute('data-lease-ends', machine.leaseEndsAt);
      const until = lease.parentElement?.querySelector('.muted');
      if (until) until.textContent = `(until ${utc(machine.leaseEndsAt)})`;
      tick();
      flash('ok', `${done} It now ends ${utc(machine.leaseEndsAt)}.`);
    } else flash('ok', done);
    const remove = form.getAttribute('data-remove');
    if (remove) form.closest(remove)?.remove();
  });

  const live = document.querySelector('[data-live]');
  if (!live || !window.EventSource) return;
  const status = document.querySelector('.live');
  const source = new EventSource(live.getAttribute('data-live'));
  source.addEventListener('open', () => status?.setAttribute('data-state', 'on'));
  source.addEventListener('error', () => status?.setAttribute('data-state', 'off'));
  source.addEventListener('machine', (event) => {
    const { id, mine, html } = JSON.parse(event.data);
    if (!html) return;
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
  // Sent after the current state on each (re)connection: a list page drops the cards of machines that
  // went while it had no stream (a detail page may show a machine that is not the viewer's own: kept).
  source.addEventListener('present', (event) => {
    if (!live.hasAttribute('data-live-list')) return;
    const present = new Set(JSON.parse(event.data).ids.map((id) => `machine-${id}`));
    for (const card of live.querySelectorAll(':scope > article.machine'))
      if (!present.has(card.id)) card.remove();
  });
})();
