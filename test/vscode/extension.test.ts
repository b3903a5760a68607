/// <reference types="mocha" />
// Runs inside a real VS Code desktop downloaded by @vscode/test-electron (`npm run test:vscode`),
// on machines with internet access. CI and machines without it use the code-server e2e suite.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

suite('Docker on Azure in VS Code desktop', () => {
  test('activates and registers every command it declares', async () => {
    const ext = vscode.extensions.getExtension('docker-on-azure.docker-on-azure');
    assert.ok(ext, 'the extension is installed');
    await ext.activate();
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = (manifest.contributes.commands as { command: string }[]).map((c) => c.command).filter((c) => !all.has(c));
    assert.deepStrictEqual(missing, []);
  });

  test('the Other Docker Hosts view can be focused', async () => {
    await vscode.commands.executeCommand('dockerOnAzure.otherHosts.focus');
  });
});
