/**
 * The emulator's TLS material, made with the openssl CLI: a CA (kept and reused when the folder
 * already holds a valid one, so a runner can create it first and start its children with
 * NODE_EXTRA_CA_CERTS pointing at it) and a fresh server certificate per emulator for
 * 127.0.0.1 / localhost.
 */
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface EmulatorTlsFiles {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function caFilesIn(dir: string): { caCert: string; caKey: string } {
  return { caCert: path.join(dir, 'arm-emulator-ca.pem'), caKey: path.join(dir, 'arm-emulator-ca-key.pem') };
}

function openssl(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) =>
      err ? reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '30';

// Own config files so the result does not depend on the machine's openssl.cnf.
function config(commonName: string, extensions: string[]): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${commonName}`, '[ext]', ...extensions, ''].join('\n');
}

function usable(certFile: string, keyFile: string): boolean {
  try {
    const validTo = Date.parse(new X509Certificate(fs.readFileSync(certFile)).validTo);
    return fs.existsSync(keyFile) && validTo > Date.now() + 24 * 3600 * 1000;
  } catch {
    return false;
  }
}

/**
 * Creates the CA in `dir` unless a valid one is there; returns the CA certificate's path. Call it
 * before starting a process that must trust the emulator, and set NODE_EXTRA_CA_CERTS to the result.
 */
export async function ensureEmulatorCa(dir: string): Promise<string> {
  const { caCert, caKey } = caFilesIn(dir);
  if (usable(caCert, caKey)) {
    return caCert;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const [cnf, cert, key] = ['cnf', 'pem', 'key.pem'].map((ext) => path.join(dir, `arm-emulator-ca-${tag}.${ext}`));
  fs.writeFileSync(
    cnf,
    config('ARM emulator test CA', ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash']),
  );
  try {
    await openssl(dir, ['req', '-x509', '-new', '-config', cnf, '-extensions', 'ext', ...EC_KEY, '-keyout', key, '-out', cert, '-days', DAYS]);
    // Made under temporary names and renamed, so a process reading the CA never sees half of one.
    fs.renameSync(key, caKey);
    fs.renameSync(cert, caCert);
  } finally {
    for (const f of [cnf, cert, key]) {
      fs.rmSync(f, { force: true });
    }
  }
  return caCert;
}

/**
 * Ensures the CA and signs a server certificate with it, under names of its own (emulators may share
 * a folder), for 127.0.0.1 and localhost and any `extraIps`.
 */
export async function makeServerTls(dir: string, extraIps: string[] = []): Promise<EmulatorTlsFiles> {
  const { caCert, caKey } = caFilesIn(dir);
  await ensureEmulatorCa(dir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const [serverCert, serverKey, cnf, csr] = ['pem', 'key.pem', 'cnf', 'csr'].map((ext) => path.join(dir, `arm-emulator-server-${tag}.${ext}`));
  const ext = [
    'basicConstraints = CA:FALSE',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${['127.0.0.1', ...extraIps].map((ip) => `IP:${ip}`).join(',')},DNS:localhost`,
  ];
  fs.writeFileSync(cnf, config('127.0.0.1', ext));
  try {
    await openssl(dir, ['req', '-new', '-config', cnf, ...EC_KEY, '-keyout', serverKey, '-out', csr]);
    // -CAcreateserial would leave a .srl file behind; a random serial per certificate avoids it.
    const serial = `0x${randomBytes(12).toString('hex')}`;
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      serial,
      '-days',
      DAYS,
      '-extfile',
      cnf,
      '-extensions',
      'ext',
      '-out',
      serverCert,
    ]);
  } finally {
    fs.rmSync(cnf, { force: true });
    fs.rmSync(csr, { force: true });
  }
  return { caCert, caKey, serverCert, serverKey };
}

/**
 * A self-signed certificate and key for signing ACR access tokens (acrTokens.ts). The certificate
 * goes in the token's x5c header and in the registry's rootcertbundle, so the registry trusts
 * exactly this emulator's tokens.
 */
export async function makeTokenSigningCert(dir: string): Promise<{ cert: string; key: string }> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const [cert, key, cnf] = ['pem', 'key.pem', 'cnf'].map((ext) => path.join(dir, `acr-token-signing-${tag}.${ext}`));
  fs.writeFileSync(cnf, config('ARM emulator ACR token signing', ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature']));
  try {
    await openssl(dir, ['req', '-x509', '-new', '-config', cnf, '-extensions', 'ext', ...EC_KEY, '-keyout', key, '-out', cert, '-days', DAYS]);
  } finally {
    fs.rmSync(cnf, { force: true });
  }
  return { cert, key };
}
