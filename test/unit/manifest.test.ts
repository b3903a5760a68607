import { recorded, memento } from '../support/installVscodeFake';
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

interface Contributed {
  command: string;
  title: string;
  category?: string;
}

test('every command in package.json has a handler after activation, and no handler is undeclared', () => {
  // The bundle, as VS Code loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require(path.join(root, 'dist', 'extension.js'));
  const context = { subscriptions: [] as { dispose(): void }[], globalState: memento(), workspaceState: memento(), secrets: {} };
  extension.activate(context);
  const declared = (manifest.contributes.commands as Contributed[]).map((c) => c.command).sort();
  const registered = [...recorded.commands.keys()].sort();
  assert.deepEqual(registered, declared);
  assert.ok(declared.length >= 15);
  const views = manifest.contributes.views.dockerOnAzure.map((v: { id: string }) => v.id).sort();
  assert.deepEqual([...recorded.treeViews.keys(), ...recorded.treeProviders.keys()].sort(), views);
  // A panel left open is restored after a reload only if its serializer's type activates the extension.
  const panelTypes = (manifest.activationEvents as string[])
    .filter((e) => e.startsWith('onWebviewPanel:'))
    .map((e) => e.slice('onWebviewPanel:'.length));
  assert.deepEqual([...recorded.webviewSerializers.keys()], panelTypes);
  assert.deepEqual(panelTypes, ['dockerOnAzure.compare']);
  for (const d of context.subscriptions) {
    d.dispose();
  }
  assert.equal(recorded.commands.size, 0, 'deactivation disposes every command');
  assert.equal(recorded.webviewSerializers.size, 0, 'deactivation disposes the panel serializer');
});

test('every menu entry and palette rule names a declared command', () => {
  const declared = new Set((manifest.contributes.commands as Contributed[]).map((c) => c.command));
  const menus = manifest.contributes.menus as Record<string, { command: string }[]>;
  for (const [menu, entries] of Object.entries(menus)) {
    for (const e of entries) {
      assert.ok(declared.has(e.command), `${menu} names unknown command ${e.command}`);
    }
  }
});

test('commands use the dockerOnAzure prefix and the Docker on Azure category', () => {
  for (const c of manifest.contributes.commands as Contributed[]) {
    assert.match(c.command, /^dockerOnAzure\./);
    assert.equal(c.category, 'Docker on Azure');
  }
  for (const key of Object.keys(manifest.contributes.configuration.properties)) {
    assert.match(key, /^dockerOnAzure\./);
  }
});
