// Orderline dashboard: live updates from the server's event stream (Redis pub/sub behind it; no polling),
// and a local clock that flags long silences. Plain forms do every action, so the page works without this.
(() => {
  const body = document.body;
  const store = body.dataset.store;
  const pageName = body.dataset.page;
  const silence = Number(body.dataset.silence || 20);
  if (!store) return;

  async function refreshCard(session) {
    const response = await fetch(`/dashboard/${store}/live/${session}`, { credentials: 'same-origin' });
    if (!response.ok) return;
    const html = (await response.text()).trim();
    const old = document.getElementById(`s-${session}`);
    const holder = document.createElement('div');
    holder.innerHTML = html;
    const fresh = holder.firstElementChild;
    if (!fresh) return;
    const focused = old && old.contains(document.activeElement);
    if (old) old.replaceWith(fresh); else document.getElementById('cards')?.prepend(fresh);
    document.getElementById('empty')?.remove();
    const count = document.querySelectorAll('#cards .card:not(.closed)').length;
    const status = document.getElementById('live-status');
    if (status) status.textContent = `${count} open conversation${count === 1 ? '' : 's'}`;
    if (focused) fresh.querySelector('button')?.focus();
    tick();
  }

  async function refreshQueue() {
    const response = await fetch(`/dashboard/${store}/orders/queue`, { credentials: 'same-origin' });
    if (!response.ok) return;
    const holder = document.createElement('div');
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.firstElementChild;
    if (fresh) document.getElementById('queue')?.replaceWith(fresh);
  }

  function tick() {
    const now = Date.now() / 1000;
    for (const card of document.querySelectorAll('.card[data-updated]')) {
      const idle = now - Number(card.dataset.updated);
      const item = card.querySelector('.alert.silence');
      if (!item) continue;
      const show = card.dataset.closed !== 'true' && card.dataset.held !== 'true' && idle > silence;
      item.hidden = !show || card.querySelector('.alert:not(.silence)')?.textContent.startsWith('Silent');
      if (show) { item.textContent = `Silent for ${Math.floor(idle)} s`; card.classList.add('needs'); }
    }
  }

  const events = new EventSource(`/dashboard/${store}/events`);
  const onSession = (e) => {
    const data = JSON.parse(e.data);
    if (pageName === 'live' && data.session) refreshCard(data.session);
    if (pageName === 'orders' && data.state === 'submitted') refreshQueue();
  };
  for (const kind of ['session', 'turn', 'takeover', 'handback']) events.addEventListener(kind, onSession);
  events.addEventListener('order_mark', () => { if (pageName === 'orders') refreshQueue(); });
  events.addEventListener('hello', () => body.classList.add('connected'));
  setInterval(tick, 1000);
  tick();
})();
