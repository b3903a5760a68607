import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  createCertificateAuthority,
  createClientCertificate,
  createServerCertificate,
  type PemPair,
} from '../../src/core/azure/provisioning/certificates';

const SERVER_NAMES = { dnsNames: ['myvm.westeurope.cloudapp.azure.com', 'localhost'], ipAddresses: ['127.0.0.1', '::1'] };
const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let ca: PemPair;
let server: PemPair;
let client: PemPair;
let otherCa: PemPair;
let strangerClient: PemPair;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-certs-'));
  ca = await createCertificateAuthority('Docker on Azure test CA');
  server = await createServerCertificate(ca, SERVER_NAMES);
  client = await createClientCertificate(ca, 'docker-on-azure client');
  otherCa = await createCertificateAuthority('Some other CA');
  strangerClient = await createClientCertificate(otherCa, 'stranger');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function certText(pem: string, name: string): string {
  return openssl('x509', '-noout', '-text', '-in', file(name, pem));
}

test('the CA is a critical CA:TRUE certificate for signing certificates and CRLs, with a key identifier', () => {
  const text = certText(ca.certPem, 'ca.pem');
  assert.match(text, /Basic Constraints: critical\s+CA:TRUE/);
  assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign\s/);
  assert.match(text, /Subject Key Identifier:\s+[0-9A-F:]{59}/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /NIST CURVE: P-256/);
  assert.match(text, /Subject: CN = Docker on Azure test CA/);
});

test('private keys are unencrypted PKCS#8 ECDSA P-256 keys', () => {
  for (const pair of [ca, server, client]) {
    assert.match(pair.keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    const key = createPrivateKey(pair.keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  }
});

test('openssl verifies the server and client certificates against the CA, and not against another CA', () => {
  const caFile = file('ca.pem', ca.certPem);
  assert.equal(openssl('verify', '-CAfile', caFile, file('server.pem', server.certPem)).trim(), `${path.join(dir, 'server.pem')}: OK`);
  assert.equal(openssl('verify', '-CAfile', caFile, file('client.pem', client.certPem)).trim(), `${path.join(dir, 'client.pem')}: OK`);
  assert.throws(() => openssl('verify', '-CAfile', caFile, file('stranger.pem', strangerClient.certPem)));
});

test('the server certificate names every DNS name and IP address, is for serverAuth and points at its CA', () => {
  const text = certText(server.certPem, 'server.pem');
  assert.match(text, /Subject: CN = myvm\.westeurope\.cloudapp\.azure\.com\n/);
  assert.match(text, /DNS:myvm\.westeurope\.cloudapp\.azure\.com, DNS:localhost, IP Address:127\.0\.0\.1, IP Address:(?:0:0:0:0:0:0:0:1|::1)\n/);
  assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
  assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  assert.equal(authorityKeyId(text), subjectKeyId(certText(ca.certPem, 'ca.pem')));
});

test('the client certificate is for clientAuth only and points at its CA', () => {
  const text = certText(client.certPem, 'client.pem');
  assert.match(text, /Subject: CN = docker-on-azure client\n/);
  assert.match(text, /Extended Key Usage:\s+TLS Web Client Authentication\n/);
  assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
  assert.doesNotMatch(text, /Subject Alternative Name/);
  assert.equal(authorityKeyId(text), subjectKeyId(certText(ca.certPem, 'ca.pem')));
});

function subjectKeyId(text: string): string | undefined {
  return /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)?.[1];
}

function authorityKeyId(text: string): string | undefined {
  return /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
}

test('without DNS names the first IP address is the common name', async () => {
  const ipOnly = await createServerCertificate(ca, { dnsNames: [], ipAddresses: ['10.0.0.4'] });
  const text = certText(ipOnly.certPem, 'ip-only.pem');
  assert.match(text, /Subject: CN = 10\.0\.0\.4\n/);
  assert.match(text, /Subject Alternative Name:\s+IP Address:10\.0\.0\.4\n/);
});

test('serial numbers are positive, 16 bytes and different every time', () => {
  const serials = [ca, server, client, otherCa, strangerClient].map((p) => new X509Certificate(p.certPem).serialNumber);
  for (const s of serials) {
    assert.match(s, /^[4-7][0-9A-F]{31}$/);
  }
  assert.equal(new Set(serials).size, serials.length);
});

test('validity starts a few minutes in the past and lasts the default number of days', () => {
  const now = Date.now();
  const check = (pem: string, days: number) => {
    const cert = new X509Certificate(pem);
    const from = Date.parse(cert.validFrom);
    assert.ok(from <= now - 2 * 60 * 1000 && from >= now - 10 * 60 * 1000, `notBefore ${cert.validFrom}`);
    assert.ok(Math.abs(Date.parse(cert.validTo) - (now + days * DAY_MS)) < 10 * 60 * 1000, `notAfter ${cert.validTo}`);
  };
  check(ca.certPem, 3650);
  check(server.certPem, 825);
  check(client.certPem, 825);
});

test('validDays is honoured and must be positive', async () => {
  const shortLived = await createClientCertificate(ca, 'short', 2);
  assert.ok(Date.parse(new X509Certificate(shortLived.certPem).validTo) < Date.now() + 3 * DAY_MS);
  await assert.rejects(createCertificateAuthority('x', 0), /positive number of days/);
  await assert.rejects(createClientCertificate(ca, 'x', Number.NaN), /positive number of days/);
});

test('refuses bad input with a clear message', async () => {
  await assert.rejects(createServerCertificate(ca, { dnsNames: [], ipAddresses: [] }), /at least one DNS name or IP address/);
  await assert.rejects(createServerCertificate(ca, { dnsNames: ['a.example'], ipAddresses: ['300.1.1.1'] }), /"300\.1\.1\.1" is not an IP address/);
  await assert.rejects(createClientCertificate(ca, '  '), /needs a common name/);
  await assert.rejects(createCertificateAuthority(''), /needs a common name/);
  await assert.rejects(createClientCertificate(server, 'x'), /is not a CA certificate/);
  await assert.rejects(createClientCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, 'x'), /does not belong to the CA certificate/);
});

// ---- A real mutual-TLS handshake, as the extension and the docker CLI make with the daemon ----

interface TlsServer {
  port: number;
  /** Why the server turned clients away: OpenSSL's verify codes. */
  refusals: string[];
  close(): Promise<void>;
}

function startTlsServer(cert: PemPair, trusted: PemPair): Promise<TlsServer> {
  const refusals: string[] = [];
  const srv = tls.createServer(
    { cert: cert.certPem, key: cert.keyPem, ca: trusted.certPem, requestCert: true, rejectUnauthorized: true },
    (socket) => {
      socket.end(`hello ${(socket.getPeerCertificate() as tls.PeerCertificate).subject.CN}`);
    },
  );
  // Node finishes the handshake and then drops the client, so the reason is on the socket, not the error.
  srv.on('tlsClientError', (err, socket) => refusals.push(String(socket.authorizationError ?? err.message)));
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      resolve({
        port: (srv.address() as AddressInfo).port,
        refusals,
        close: () => new Promise<void>((done) => srv.close(() => done())),
      });
    });
  });
}

/** Connects to 127.0.0.1 and resolves with what the server said, or rejects with the TLS error. */
function talk(port: number, trusted: PemPair, identity: PemPair, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: trusted.certPem, cert: identity.certPem, key: identity.keyPem });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => (received ? resolve(received) : reject(new Error('closed without a word'))));
  });
}

async function withServer(cert: PemPair, trusted: PemPair, fn: (s: TlsServer) => Promise<void>): Promise<void> {
  const s = await startTlsServer(cert, trusted);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('mutual TLS succeeds by IP address and by DNS name, and the server sees the client certificate', async () => {
  await withServer(server, ca, async ({ port }) => {
    assert.equal(await talk(port, ca, client), 'hello docker-on-azure client');
    assert.equal(await talk(port, ca, client, 'myvm.westeurope.cloudapp.azure.com'), 'hello docker-on-azure client');
    assert.equal(await talk(port, ca, client, 'localhost'), 'hello docker-on-azure client');
  });
});

test('the server refuses a client certificate from another CA', async () => {
  await withServer(server, ca, async (s) => {
    await assert.rejects(talk(s.port, ca, strangerClient));
    assert.deepEqual(s.refusals, ['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  });
});

test('the client refuses a server reached by a name the certificate does not list', async () => {
  await withServer(server, ca, async ({ port }) => {
    await assert.rejects(talk(port, ca, client, 'othervm.westeurope.cloudapp.azure.com'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
  const dnsOnly = await createServerCertificate(ca, { dnsNames: ['myvm.example'], ipAddresses: [] });
  await withServer(dnsOnly, ca, async ({ port }) => {
    await assert.rejects(talk(port, ca, client), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

test('the client refuses a server certificate from another CA', async () => {
  const foreignServer = await createServerCertificate(otherCa, SERVER_NAMES);
  await withServer(foreignServer, ca, async ({ port }) => {
    await assert.rejects(talk(port, ca, client), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

test('key usages are enforced: a client certificate cannot serve, a server certificate cannot sign in', async () => {
  await withServer(client, ca, async ({ port }) => {
    await assert.rejects(talk(port, ca, client, 'localhost'), { code: 'INVALID_PURPOSE' });
  });
  await withServer(server, ca, async (s) => {
    await assert.rejects(talk(s.port, ca, server));
    assert.deepEqual(s.refusals, ['INVALID_PURPOSE']);
  });
});
