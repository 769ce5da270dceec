// Preloaded (node --import) into the engine by no-network.test.ts: every way Node code can reach
// the network records the attempt in $QUENCH_NETWORK_LOG and throws. Sockets cover everything
// built on them (http, https, tls, fetch/undici, WebSocket); the higher-level entry points are
// patched too so an attempt is named by what made it. Unix-domain sockets (IPC) are not network.
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

const log = process.env.QUENCH_NETWORK_LOG;
if (!log) throw new Error('no-network-preload: QUENCH_NETWORK_LOG is not set');
// Proof for the test that this process really ran with the preload.
fs.appendFileSync(`${log}.loaded`, `${process.pid}\n`);

function blocked(what, detail) {
  const line = `${what} ${detail === undefined ? '' : String(JSON.stringify(detail)).slice(0, 200)}`;
  fs.appendFileSync(log, `${line}\n`);
  throw new Error(`network access blocked by the no-network test: ${line}`);
}

function isLocalPipe(args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  if (typeof options === 'string' && Number.isNaN(Number(options))) return true; // connect(path)
  return Boolean(options && typeof options === 'object' && typeof options.path === 'string');
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (isLocalPipe(args)) return connect.apply(this, args);
  return blocked('net.Socket.connect', args[0]);
};
for (const name of ['connect', 'createConnection']) {
  const original = net[name];
  net[name] = (...args) => (isLocalPipe(args) ? original(...args) : blocked(`net.${name}`, args[0]));
}
dgram.createSocket = (...args) => blocked('dgram.createSocket', args[0]);

for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
  dns[name] = (...args) => blocked(`dns.${name}`, args[0]);
  dns.promises[name] = async (...args) => blocked(`dns.promises.${name}`, args[0]);
}
for (const [mod, m] of [['http', http], ['https', https]]) {
  m.request = (...args) => blocked(`${mod}.request`, args[0] instanceof URL ? args[0].href : args[0]);
  m.get = (...args) => blocked(`${mod}.get`, args[0] instanceof URL ? args[0].href : args[0]);
}
tls.connect = (...args) => blocked('tls.connect', args[0]);
globalThis.fetch = async (input) => blocked('fetch', typeof input === 'string' ? input : (input && input.url) || String(input));
if (globalThis.WebSocket) globalThis.WebSocket = function WebSocket(url) { blocked('WebSocket', url); };
