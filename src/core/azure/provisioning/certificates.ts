/**
 * Mutual-TLS material for a provisioned Docker daemon: a private CA, the daemon's server
 * certificate and the client certificate the extension (and the docker CLI) present.
 *
 * Everything is made locally so no private key ever leaves the machine except the server key,
 * which goes to the VM it belongs to.
 *
 * Keys are ECDSA P-256 and certificates are signed with ECDSA-SHA256: small, fast to make, and
 * accepted by both ends. Docker's daemon and CLI use Go's crypto/tls (through
 * docker/go-connections), whose tls.X509KeyPair reads PKCS#1, SEC 1 ("EC PRIVATE KEY") and
 * PKCS#8 ("PRIVATE KEY") keys, so the PKCS#8 keys written here work as --tlskey and as the
 * CLI's key.pem; Node's tls reads them too.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import type { DaemonTls } from './cloudInit';

export interface PemPair {
  certPem: string;
  /** PKCS#8, "-----BEGIN PRIVATE KEY-----". */
  keyPem: string;
}

export interface ServerNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const DEFAULT_CA_DAYS = 3650;
// The CA/Browser Forum's old ceiling; Docker does not care, but tools that inspect certs do.
const DEFAULT_LEAF_DAYS = 825;
// The VM's clock may run a little behind ours; a certificate "not yet valid" there is a baffling failure.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

// Passed explicitly to every call instead of set on the library's global provider, so loading
// this module changes nothing for anyone else in the extension host.
const crypto = webcrypto;

export async function createCertificateAuthority(commonName: string, validDays = DEFAULT_CA_DAYS): Promise<PemPair> {
  requireName(commonName, 'The CA needs a common name.');
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      ...validity(validDays),
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }],
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return toPemPair(cert, keys.privateKey);
}

export async function createServerCertificate(ca: PemPair, names: ServerNames, validDays = DEFAULT_LEAF_DAYS): Promise<PemPair> {
  const sans = subjectAltNames(names);
  const usages = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  return createLeaf(ca, sans[0].value, validDays, usages, x509.ExtendedKeyUsage.serverAuth, [new x509.SubjectAlternativeNameExtension(sans)]);
}

/** What a daemon's TLS listener needs: the CA that signs its clients, and its own server certificate for `names`. */
export async function createDaemonTls(ca: PemPair, names: ServerNames): Promise<DaemonTls> {
  const server = await createServerCertificate(ca, names);
  return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
}

export async function createClientCertificate(ca: PemPair, commonName: string, validDays = DEFAULT_LEAF_DAYS): Promise<PemPair> {
  requireName(commonName, 'The client certificate needs a common name.');
  return createLeaf(ca, commonName, validDays, x509.KeyUsageFlags.digitalSignature, x509.ExtendedKeyUsage.clientAuth, []);
}

async function createLeaf(
  ca: PemPair,
  commonName: string,
  validDays: number,
  usages: x509.KeyUsageFlags,
  purpose: x509.ExtendedKeyUsage,
  extra: x509.Extension[],
): Promise<PemPair> {
  const issuer = await loadIssuer(ca);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create(
    {
      ...validity(validDays),
      serialNumber: randomSerial(),
      // The CA's own encoded name, not a re-parsed string, so chain building matches byte for byte.
      issuer: issuer.cert.subjectName,
      subject: [{ CN: [commonName] }],
      publicKey: keys.publicKey,
      signingKey: issuer.key,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usages, true),
        new x509.ExtendedKeyUsageExtension([purpose]),
        ...extra,
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        new x509.AuthorityKeyIdentifierExtension(await issuerKeyId(issuer.cert)),
      ],
    },
    crypto,
  );
  return toPemPair(cert, keys.privateKey);
}

interface Issuer {
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
}

async function loadIssuer(ca: PemPair): Promise<Issuer> {
  const cert = new x509.X509Certificate(ca.certPem);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) {
    throw new Error(`${cert.subject} is not a CA certificate (no basicConstraints CA:true).`);
  }
  requireMatchingKey(cert, ca.keyPem);
  return { cert, key: await importSigningKey(ca.keyPem) };
}

// A mismatched pair would still "work" here and only fail later, on the VM, as a bad signature.
function requireMatchingKey(cert: x509.X509Certificate, keyPem: string): void {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new Error(`The CA key does not belong to the CA certificate ${cert.subject}.`);
  }
}

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  try {
    return await crypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
  } catch {
    throw new Error('The CA key must be an ECDSA P-256 key, as createCertificateAuthority makes.');
  }
}

// Reuses the CA's own identifier rather than recomputing it, in case the CA was made elsewhere
// with a different method; recomputes only when the CA has none.
async function issuerKeyId(caCert: x509.X509Certificate): Promise<string> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(caCert.publicKey, false, crypto)).keyId;
}

function subjectAltNames(names: ServerNames): x509.JsonGeneralName[] {
  const dns = names.dnsNames.map((n) => n.trim()).filter((n) => n.length > 0);
  const ips = names.ipAddresses.map((n) => n.trim()).filter((n) => n.length > 0);
  const badIp = ips.find((ip) => isIP(ip) === 0);
  if (badIp !== undefined) {
    throw new Error(`"${badIp}" is not an IP address.`);
  }
  if (dns.length + ips.length === 0) {
    throw new Error('The server certificate needs at least one DNS name or IP address.');
  }
  return [
    ...dns.map((value): x509.JsonGeneralName => ({ type: x509.DNS, value })),
    ...ips.map((value): x509.JsonGeneralName => ({ type: x509.IP, value })),
  ];
}

function validity(validDays: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(validDays) || validDays <= 0) {
    throw new Error(`A certificate must be valid for a positive number of days, not ${validDays}.`);
  }
  const now = Date.now();
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + validDays * DAY_MS) };
}

// 126 random bits (RFC 5280 asks for at most 20 octets and CAs use at least 64 random bits); the
// top bit is cleared so the DER INTEGER is positive, and the next one set so it keeps all 16 bytes.
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function requireName(name: string, message: string): void {
  if (!name.trim()) {
    throw new Error(message);
  }
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  // Extractable, because the private key is handed out as PEM.
  return crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

async function toPemPair(cert: x509.X509Certificate, privateKey: webcrypto.CryptoKey): Promise<PemPair> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n' };
}
