/**
 * Import this first in a test file: afterwards `require('vscode')` (from the sources or from the
 * bundle in dist/) returns the fake in vscodeFake.ts.
 */
import Module = require('module');
import * as fake from './vscodeFake';

const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const originalLoad = mod._load;
mod._load = function (request: string, parent: unknown, isMain: boolean) {
  return request === 'vscode' ? fake : originalLoad.call(this, request, parent, isMain);
};

export = fake;
