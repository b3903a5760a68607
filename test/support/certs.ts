import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Paths of the PEM files made by {@link makeTlsMaterial}. */
export interface TlsMaterial {
  dir: string;
  /** CA that signed both the server and the client certificate. */
  ca: string;
  caKey: string;
  /** Server certificate for the given IPs (127.0.0.1 by default) and DNS:localhost (serverAuth). */
  serverCert: string;
  serverKey: string;
  /** Client certificate (clientAuth), signed by `ca`. */
  cert: string;
  key: string;
  /** A second, unrelated CA: trusting only it must make TLS verification fail. */
  wrongCa: string;
  wrongCaKey: string;
}

function openssl(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) => {
      if (err) {
        reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      } else {
        resolve();
      }
    });
  });
}

// A config of our own so the result does not depend on the machine's openssl.cnf.
function reqConfig(commonName: string): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${commonName}`,
    '[v3_ca]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '30';

async function makeCa(dir: string, name: string, certFile: string, keyFile: string): Promise<void> {
  const cnf = path.join(dir, `${name}.cnf`);
  await fs.writeFile(cnf, reqConfig(name));
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-config',
    cnf,
    '-extensions',
    'v3_ca',
    ...EC_KEY,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    DAYS,
  ]);
}

async function makeLeaf(dir: string, name: string, commonName: string, extensions: string[], certFile: string, keyFile: string): Promise<void> {
  const cnf = path.join(dir, `${name}.cnf`);
  const ext = path.join(dir, `${name}-ext.cnf`);
  const csr = path.join(dir, `${name}.csr`);
  await fs.writeFile(cnf, reqConfig(commonName));
  await fs.writeFile(
    ext,
    ['basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature,keyAgreement', 'authorityKeyIdentifier = keyid', ...extensions, ''].join(
      '\n',
    ),
  );
  await openssl(dir, ['req', '-new', '-config', cnf, ...EC_KEY, '-keyout', keyFile, '-out', csr]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    path.join(dir, 'ca.pem'),
    '-CAkey',
    path.join(dir, 'ca-key.pem'),
    '-CAcreateserial',
    '-CAserial',
    path.join(dir, 'ca.srl'),
    '-out',
    certFile,
    '-days',
    DAYS,
    '-extfile',
    ext,
  ]);
}

/**
 * Creates, in `dir`, the CA / server / client material a TLS-protected Docker Engine
 * and its clients need (the same layout as `~/.docker/machine/certs`), plus an unrelated CA.
 */
export async function makeTlsMaterial(dir: string, serverIps: readonly string[] = ['127.0.0.1']): Promise<TlsMaterial> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const m: TlsMaterial = {
    dir,
    ca: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    serverCert: path.join(dir, 'server-cert.pem'),
    serverKey: path.join(dir, 'server-key.pem'),
    cert: path.join(dir, 'cert.pem'),
    key: path.join(dir, 'key.pem'),
    wrongCa: path.join(dir, 'wrong-ca.pem'),
    wrongCaKey: path.join(dir, 'wrong-ca-key.pem'),
  };
  await Promise.all([makeCa(dir, 'doa-test-ca', m.ca, m.caKey), makeCa(dir, 'doa-wrong-ca', m.wrongCa, m.wrongCaKey)]);
  // Sequential: both leaves share ca.srl.
  await makeLeaf(
    dir,
    'server',
    serverIps[0] ?? 'localhost',
    [`subjectAltName = ${[...serverIps.map((ip) => `IP:${ip}`), 'DNS:localhost'].join(',')}`, 'extendedKeyUsage = serverAuth'],
    m.serverCert,
    m.serverKey,
  );
  await makeLeaf(dir, 'client', 'doa-test-client', ['extendedKeyUsage = clientAuth'], m.cert, m.key);
  await Promise.all([m.caKey, m.serverKey, m.key, m.wrongCaKey].map((f) => fs.chmod(f, 0o600)));
  return m;
}
