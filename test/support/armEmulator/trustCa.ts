/**
 * Trusting the emulator's CA.
 *
 * Preferred, and what the product needs: start the process with NODE_EXTRA_CA_CERTS set to the CA
 * file. Node reads that variable once at start-up, so the CA must exist before the process starts:
 * a runner calls `ensureEmulatorCa(dir)` first, passes `NODE_EXTRA_CA_CERTS=<that path>` to the
 * child (node --test, code-server's extension host) and the child calls `startArmEmulator({ dir })`,
 * which reuses that CA. Product code then needs nothing but the endpoint and authority host.
 *
 * In a process that was started without it (e.g. `node --test file.js` run by hand),
 * `trustEmulatorCa(path)` gives the same effect from then on. Node 20 has no
 * tls.setDefaultCACertificates (22.19+/24.5+), and the Azure SDK makes its own https.Agent, so
 * https.globalAgent options do not reach it; the one place every default TLS client passes through
 * is tls.createSecureContext, so that is where the extra CA is added, and only when the caller did
 * not name its own CAs (as NODE_EXTRA_CA_CERTS behaves).
 */
import * as fs from 'node:fs';
// The module object itself, not an import-star copy, so the replacement is what tls.connect calls.
import tls = require('node:tls');

const extraCas = new Set<string>();
let patched = false;

export function trustEmulatorCa(caPath: string): void {
  const pem = fs.readFileSync(caPath, 'utf8');
  if (process.env.NODE_EXTRA_CA_CERTS && safeRead(process.env.NODE_EXTRA_CA_CERTS)?.includes(pem.trim())) {
    return;
  }
  extraCas.add(pem);
  if (patched) {
    return;
  }
  patched = true;
  const original = tls.createSecureContext;
  const withExtraCas: typeof tls.createSecureContext = (options) => {
    const context = original(options);
    if (!options?.ca) {
      const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
      for (const ca of extraCas) {
        native.addCACert(ca);
      }
    }
    return context;
  };
  tls.createSecureContext = withExtraCas;
}

function safeRead(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
