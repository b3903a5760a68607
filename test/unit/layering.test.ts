import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORTS_VSCODE = /(?:from\s+['"]vscode['"])|(?:require\(\s*['"]vscode['"]\s*\))|(?:import\(\s*['"]vscode['"]\s*\))/;

test('no file under src/core imports vscode', () => {
  const files = sourceFiles(path.join(root, 'src', 'core'));
  assert.ok(files.length > 5, 'the core folder was found');
  const offenders = files.filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
  assert.deepEqual(offenders, []);
});

test('the core never imports the ui layer', () => {
  const offenders = sourceFiles(path.join(root, 'src', 'core')).filter((f) => /from\s+['"][./]*ui\//.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('extension.ts only wires: it defines nothing but activate and deactivate', () => {
  const text = fs.readFileSync(path.join(root, 'src', 'extension.ts'), 'utf8');
  const declarations = [...text.matchAll(/^(?:export\s+)?(?:async\s+)?(?:function|class|const|let|var)\s+(\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(declarations.sort(), ['activate', 'deactivate']);
});

test('the detector itself catches each import form', () => {
  for (const line of ["import * as vscode from 'vscode';", 'const v = require("vscode");', "await import('vscode')"]) {
    assert.match(line, IMPORTS_VSCODE);
  }
  assert.doesNotMatch("import { x } from './vscodeish';", IMPORTS_VSCODE);
});
