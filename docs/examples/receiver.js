// A wssink.v1 receiver in Node.js (npm install ws). Appends each event to events.txt, dedupes by id per stream.
// A real receiver keeps `highest` durably with its output; this sketch keeps it in memory.
const { WebSocketServer } = require('ws');
const fs = require('fs');
const out = fs.openSync('events.txt', 'a');
const highest = new Map();                      // stream id -> highest id processed (BigInt)
const wss = new WebSocketServer({ port: 8080, handleProtocols: (offered) =>
  offered.has('wssink.v1') ? 'wssink.v1' : false });
wss.on('connection', (ws, req) => {
  const stream = req.headers['wssink-stream'];
  const ack = () => ws.send(JSON.stringify({ ack: (highest.get(stream) ?? 0n).toString() }));
  ack();                                        // the resume ack: what we already hold
  let timer = null;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;                      // the sink sends records in binary frames only
    for (let at = 0; at < data.length;) {       // records: id u64 | length u32 | payload, big-endian
      if (data.length - at < 12) return ws.close(1007, 'truncated record');
      const id = data.readBigUInt64BE(at), len = data.readUInt32BE(at + 8);
      if (at + 12 + len > data.length) return ws.close(1007, 'length past frame end');
      if (id > (highest.get(stream) ?? 0n)) {   // drop what we already processed: effectively-once
        fs.writeSync(out, Buffer.concat([data.subarray(at + 12, at + 12 + len), Buffer.from('\n')]));
        highest.set(stream, id);
      }
      at += 12 + len;
    }
    timer ??= setTimeout(() => { timer = null; fs.fsyncSync(out); ack(); }, 100);  // ack at most every 100 ms
  });
  ws.on('close', () => clearTimeout(timer));
});
