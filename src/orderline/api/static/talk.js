// Talk to a lane from the browser: microphone -> 16 kHz PCM16 over the lane websocket; reply audio played back
// in order; transcript and order shown as events arrive. No libraries, no network beyond this server.
(() => {
  const params = new URLSearchParams(location.search);
  const store = params.get('store') || 'burger';
  const fragment = new URLSearchParams(location.hash.slice(1));
  const $ = (id) => document.getElementById(id);
  const keyInput = $('key');
  keyInput.value = fragment.get('key') || localStorage.getItem('orderline-key-' + store) || '';
  $('store-name').textContent = '— ' + store;
  let ws = null, context = null, source = null, node = null, playAt = 0, playing = [];

  function say(who, text) {
    const li = document.createElement('li');
    li.className = who;
    li.textContent = (who === 'you' ? 'You: ' : 'Orderline: ') + text;
    $('log').appendChild(li);
    li.scrollIntoView({block: 'nearest'});
  }

  function showOrder(order, state) {
    $('state').textContent = state.replace('_', ' ');
    const body = $('lines');
    body.textContent = '';
    if (!order.lines.length) {
      body.innerHTML = '<tr><td colspan="2" class="empty">Nothing yet.</td></tr>';
    }
    for (const line of order.lines) {
      const row = document.createElement('tr');
      const item = document.createElement('td');
      item.textContent = line.words;
      item.dataset.item = line.item;
      const price = document.createElement('td');
      price.className = 'money';
      price.textContent = '$' + (line.total_cents / 100).toFixed(2);
      row.append(item, price);
      body.appendChild(row);
    }
    $('total').textContent = order.total;
  }

  function play(bytes) {
    const pcm = new Int16Array(bytes);
    const buffer = context.createBuffer(1, pcm.length, 16000);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const node = context.createBufferSource();
    node.buffer = buffer;
    node.connect(context.destination);
    playAt = Math.max(playAt, context.currentTime + 0.02);
    node.start(playAt);
    playAt += buffer.duration;
    playing.push(node);
    node.onended = () => { playing = playing.filter((n) => n !== node); };
  }

  function clearPlayback() {
    for (const node of playing) { try { node.stop(); } catch (e) { /* already stopped */ } }
    playing = [];
    playAt = 0;
  }

  async function start() {
    const key = keyInput.value.trim();
    if (!key) { $('status').textContent = 'Enter the API key first.'; keyInput.focus(); return; }
    localStorage.setItem('orderline-key-' + store, key);
    $('start').disabled = true;
    $('status').textContent = 'Asking for the microphone…';
    const stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true}});
    context = new AudioContext();
    await context.audioWorklet.addModule('/static/capture-worklet.js');
    source = context.createMediaStreamSource(stream);
    node = new AudioWorkletNode(context, 'capture');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${scheme}://${location.host}/v1/stores/${encodeURIComponent(store)}/lanes/browser/stream`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws.send(JSON.stringify({type: 'hello', key, format: 'pcm_s16le', sample_rate: 16000, channels: 1}));
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') { play(message.data); return; }
      const event = JSON.parse(message.data);
      switch (event.type) {
        case 'ready': $('status').textContent = 'Connected — speak when the greeting ends.'; $('stop').disabled = false; break;
        case 'greeting': say('engine', event.text); break;
        case 'transcript': say('you', event.text); break;
        case 'reply': say('engine', event.text); break;
        case 'order': showOrder(event.order, event.state); break;
        case 'clear': clearPlayback(); break;
        case 'submitted': $('status').textContent = 'Order submitted. Thank you!'; break;
        case 'handoff': $('status').textContent = 'A crew member will take it from here.'; break;
        case 'error': $('status').textContent = 'Error: ' + event.message; break;
      }
    };
    ws.onclose = (event) => {
      $('status').textContent = event.reason ? `Disconnected: ${event.reason}` : 'Disconnected.';
      stop();
    };
    node.port.onmessage = (message) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(message.data); };
    source.connect(node);
  }

  function stop() {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify({type: 'bye'})); ws.close(); }
    ws = null;
    if (source) source.disconnect();
    if (context) context.close();
    context = null;
    $('start').disabled = false;
    $('stop').disabled = true;
  }

  $('start').addEventListener('click', () => start().catch((e) => { $('status').textContent = 'Could not start: ' + e.message; $('start').disabled = false; }));
  $('stop').addEventListener('click', stop);
})();
