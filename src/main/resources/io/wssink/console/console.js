"use strict";
// The wssink console: one server-sent-events feed (/api/live) pushes the stream list, the selected stream's new
// events and its messages' states every half second; nothing here polls. Plain DOM, no library, nothing fetched
// from anywhere but this receiver.
(function () {
  const MAX_TAIL = 500; // events the page keeps for the selected stream
  const $ = (id) => document.getElementById(id);
  let selected = new URLSearchParams(location.search).get("stream");
  let source = null;
  let tail = []; // newest first
  let paused = false;
  let unseen = 0; // events collected while paused, not shown yet
  let streams = [];

  function openFeed() {
    if (source) {
      source.close();
    }
    const after = tail.length ? tail[0].id : "0";
    source = new EventSource("/api/live" + (selected ? "?stream=" + encodeURIComponent(selected) + "&after=" + after : ""));
    source.onopen = () => { $("feed").textContent = "live"; $("feed").classList.remove("down"); };
    source.onerror = () => { $("feed").textContent = "reconnecting\u2026"; $("feed").classList.add("down"); };
    source.addEventListener("streams", (e) => onStreams(JSON.parse(e.data)));
    source.addEventListener("events", (e) => onEvents(JSON.parse(e.data)));
    source.addEventListener("messages", (e) => onMessages(JSON.parse(e.data)));
  }

  function select(stream) {
    if (stream === selected) {
      return;
    }
    selected = stream;
    tail = [];
    unseen = 0;
    $("paused-note").textContent = "";
    $("tail").textContent = "";
    $("messages").textContent = "";
    $("send-result").textContent = "";
    history.replaceState(null, "", "/?stream=" + encodeURIComponent(stream));
    renderStreams();
    openFeed();
  }

  function onStreams(list) {
    // the server lists the most recently active first: the page opens on it; the table keeps a stable order, so
    // that a row does not move away under the pointer each second
    streams = list.slice().sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    if (!selected && list.length) {
      select(list[0].stream);
      return;
    }
    renderStreams();
  }

  function ago(millis) {
    if (!millis) {
      return "never";
    }
    const s = Math.max(0, Math.round((Date.now() - millis) / 1000));
    return s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : new Date(millis).toLocaleString();
  }

  function spark(rates) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 120 22");
    svg.setAttribute("preserveAspectRatio", "none");
    const max = Math.max(1, ...rates);
    const points = rates.map((r, i) => (i * 120 / (rates.length - 1)).toFixed(1) + "," + (21 - r * 20 / max).toFixed(1));
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.appendChild(line);
    const title = document.createElementNS(ns, "title");
    title.textContent = "now: " + rates[rates.length - 1] + "/s, peak: " + max + "/s";
    svg.appendChild(title);
    return svg;
  }

  function cell(row, content) {
    const td = document.createElement("td");
    if (content instanceof Node) {
      td.appendChild(content);
    } else {
      td.textContent = content;
    }
    row.appendChild(td);
    return td;
  }

  function renderStreams() {
    const body = $("streams").tBodies[0];
    body.textContent = "";
    $("no-streams").hidden = streams.length > 0;
    for (const s of streams) {
      const tr = document.createElement("tr");
      tr.dataset.stream = s.stream;
      if (s.stream === selected) {
        tr.classList.add("selected");
      }
      const dot = document.createElement("span");
      dot.className = "dot" + (s.connected ? " on" : "");
      dot.title = s.connected ? "connected" : "not connected";
      cell(tr, dot);
      const code = document.createElement("code");
      code.textContent = s.stream.slice(0, 8);
      code.title = s.stream;
      cell(tr, code);
      cell(tr, String(s.events)).className = "events";
      cell(tr, s.lastId).className = "last-id";
      cell(tr, spark(s.rate));
      cell(tr, ago(s.lastEventMillis));
      cell(tr, s.queued + " queued, " + s.written + " sent" + (s.dropped ? ", " + s.dropped + " dropped" : ""));
      tr.addEventListener("click", () => select(s.stream));
      body.appendChild(tr);
    }
    const current = streams.find((s) => s.stream === selected);
    $("stream-pane").hidden = !selected;
    $("selected").textContent = selected || "";
    const state = $("selected-state");
    state.textContent = current ? (current.connected ? "connected" : "not connected: messages wait in its queue") : "unknown";
    state.className = "state " + (current && current.connected ? "on" : "off");
  }

  function onEvents(batch) {
    if (batch.stream !== selected) {
      return;
    }
    const hadTail = tail.length > 0;
    const known = hadTail ? BigInt(tail[0].id) : -1n;
    for (const e of batch.events) { // oldest first
      if (BigInt(e.id) > known) {
        tail.unshift(e);
        if (paused) {
          unseen++;
        }
      }
    }
    if (batch.gap && hadTail) { // on opening, older events being gone is no news
      $("tail-note").textContent = "faster than the tail keeps: some events were skipped";
    }
    tail.length = Math.min(tail.length, MAX_TAIL);
    if (paused) {
      $("paused-note").textContent = "paused: " + unseen + " new " + (unseen === 1 ? "event" : "events") + " not shown";
    } else {
      renderTail();
    }
  }

  function payload(e) {
    if (e.text !== undefined) {
      return e.text + (e.truncated ? "\u2026" : "");
    }
    const bin = atob(e.base64);
    let hex = "";
    for (let i = 0; i < Math.min(bin.length, 64); i++) {
      hex += bin.charCodeAt(i).toString(16).padStart(2, "0") + " ";
    }
    return "hex: " + hex + (e.truncated || bin.length > 64 ? "\u2026" : "");
  }

  function renderTail() {
    const filter = $("filter").value;
    const list = $("tail");
    list.textContent = "";
    for (const e of tail) {
      const text = payload(e);
      if (filter && !text.includes(filter)) {
        continue;
      }
      const li = document.createElement("li");
      li.dataset.id = e.id;
      if (e.text === undefined) {
        li.classList.add("binary");
      }
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = "#" + e.id + " " + new Date(e.time).toLocaleTimeString() + " " + e.size + " B";
      const p = document.createElement("span");
      p.className = "payload";
      p.textContent = text;
      li.append(meta, p);
      list.appendChild(li);
    }
  }

  function onMessages(batch) {
    if (batch.stream !== selected) {
      return;
    }
    const list = $("messages");
    list.textContent = "";
    for (const m of batch.messages.slice().reverse()) {
      const li = document.createElement("li");
      li.dataset.message = m.message;
      li.dataset.state = m.state;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = "message " + m.message + " " + new Date(m.posted).toLocaleTimeString();
      const state = document.createElement("span");
      state.className = "st-" + m.state;
      state.textContent = m.state === "written" ? "delivered to the connection"
        : m.state === "queued" ? "queued (" + m.position + " ahead), sent when the sender connects"
        : m.state === "dropped" ? "dropped: the queue was full" : m.state;
      const p = document.createElement("span");
      p.textContent = " " + payload(m);
      li.append(meta, state, p);
      list.appendChild(li);
    }
  }

  $("send-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = $("message-input");
    if (!selected || input.value === "") {
      return;
    }
    const binary = $("message-binary").checked;
    const result = $("send-result");
    try {
      const res = await fetch("/api/streams/" + encodeURIComponent(selected) + "/messages", {
        method: "POST",
        headers: { "Content-Type": binary ? "application/octet-stream" : "text/plain; charset=utf-8" },
        body: new TextEncoder().encode(input.value),
        credentials: "same-origin",
      });
      const text = await res.text();
      if (res.status === 202) {
        const m = JSON.parse(text);
        result.textContent = "message " + m.message + " accepted";
        result.className = "muted";
        input.value = "";
      } else {
        result.textContent = res.status + ": " + text.trim();
        result.className = "error";
      }
    } catch (e) {
      result.textContent = "not sent: " + e;
      result.className = "error";
    }
  });
  $("pause").addEventListener("change", (e) => {
    paused = e.target.checked;
    unseen = 0;
    $("paused-note").textContent = paused ? "paused: 0 new events not shown" : "";
    if (!paused) {
      renderTail();
    }
  });
  $("filter").addEventListener("input", renderTail);
  setInterval(renderStreams, 5000); // "s ago" ages even when nothing arrives; no request is made
  renderStreams();
  openFeed();
})();
