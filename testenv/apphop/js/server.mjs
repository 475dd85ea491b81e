// An app instrumented with OpenTelemetry JS, for laneway's tests (see ../doc.go).
//
// For every request it receives it does what @opentelemetry/instrumentation-http does: extract the
// context from the incoming headers with the global propagator (W3C trace context + W3C baggage,
// @opentelemetry/core) and inject that context into its next call, which goes to the next hop the
// test set, with the incoming method, path and body. The next hop's status, content type and body
// are relayed back.
//
// Protocol on stdio (one JSON object a line):
//   stdout {"listening": <port>}           once the server listens on 127.0.0.1
//   stdin  {"next": "<url>", "host": "<h>"} where the next call goes, and its Host header
//   stdout {"next": "<url>"}               acknowledges it
// The app exits when stdin closes, so it never outlives the test that started it.
import http from 'node:http';
import readline from 'node:readline';
import { propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';

propagation.setGlobalPropagator(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
);

let next = null;

const server = http.createServer((req, res) => {
  // What the HTTP instrumentation does on an incoming request (default getter over req.headers,
  // where Node has joined repeated headers with ", ").
  const ctx = propagation.extract(ROOT_CONTEXT, req.headers);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (next === null) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('apphop: no next hop set\n');
      return;
    }
    const body = Buffer.concat(chunks);
    // What the HTTP instrumentation does on an outgoing request.
    const headers = { host: next.host };
    propagation.inject(ctx, headers);
    if (body.length > 0) {
      headers['content-type'] = req.headers['content-type'] ?? 'application/octet-stream';
    }
    headers['content-length'] = String(body.length);
    const out = http.request(new URL(req.url, next.url), { method: req.method, headers }, (up) => {
      const relay = { 'content-type': up.headers['content-type'] ?? 'text/plain' };
      if (up.headers['x-served-by']) relay['x-served-by'] = up.headers['x-served-by'];
      res.writeHead(up.statusCode, relay);
      up.pipe(res);
    });
    out.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`apphop: next hop ${next.url}: ${err.message}\n`);
    });
    out.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});

const control = readline.createInterface({ input: process.stdin });
control.on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
    new URL(msg.next);
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: `bad control line ${JSON.stringify(line)}: ${err.message}` }) + '\n');
    return;
  }
  next = { url: msg.next, host: msg.host || new URL(msg.next).host };
  process.stdout.write(JSON.stringify({ next: msg.next }) + '\n');
});
control.on('close', () => {
  server.close();
  process.exit(0);
});
