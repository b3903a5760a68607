import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from './median';

const root = path.resolve(__dirname, '..', '..');

/**
 * One fresh Node process per sample, so module loading is measured cold each time: it loads the
 * vscode stand-in, then times `require(bundle)` + `activate()`.
 */
function sample(modulePath: string, extraRequire?: string, preload: string[] = []): number {
  const script = `
    ${preload.map((m) => `require(${JSON.stringify(m)});`).join(' ')}
    require(${JSON.stringify(path.join(root, 'out', 'test', 'support', 'installVscodeFake.js'))});
    const { memento } = require(${JSON.stringify(path.join(root, 'out', 'test', 'support', 'vscodeFake.js'))});
    const ctx = { subscriptions: [], globalState: memento(), workspaceState: memento() };
    const t0 = process.hrtime.bigint();
    const ext = require(${JSON.stringify(modulePath)});
    ${extraRequire ? `require(${JSON.stringify(extraRequire)});` : ''}
    ext.activate(ctx);
    const t1 = process.hrtime.bigint();
    process.stdout.write(String(Number(t1 - t0) / 1e6));
  `;
  return Number(execFileSync(process.execPath, ['-e', script]).toString());
}

const BUILTINS = ['fs/promises', 'os', 'path', 'stream', 'http', 'https', 'crypto', 'child_process'];

export interface ActivationResult {
  bundleBytes: number;
  vendorBytes: number;
  activateMs: number;
  emptyActivateMs: number;
  eagerActivateMs: number;
  /** With Node's built-in modules already loaded, as they are in VS Code's extension host. */
  warmBuiltinsActivateMs: number;
  samples: number;
}

export function measureActivation(samples = 15): ActivationResult {
  const bundle = path.join(root, 'dist', 'extension.js');
  const vendor = path.join(root, 'dist', 'vendor.js');
  const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-empty-ext-'));
  const empty = path.join(emptyDir, 'extension.js');
  fs.writeFileSync(empty, 'exports.activate = function activate() {};\n');
  const ours: number[] = [];
  const blank: number[] = [];
  const eager: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < samples; i++) {
    warm.push(sample(bundle, undefined, BUILTINS));
    ours.push(sample(bundle));
    blank.push(sample(empty));
    // The alternative design: Docker and SSH clients loaded at activation.
    eager.push(sample(bundle, vendor));
  }
  fs.rmSync(emptyDir, { recursive: true, force: true });
  return {
    bundleBytes: fs.statSync(bundle).size,
    vendorBytes: fs.statSync(vendor).size,
    activateMs: median(ours),
    emptyActivateMs: median(blank),
    eagerActivateMs: median(eager),
    warmBuiltinsActivateMs: median(warm),
    samples,
  };
}
