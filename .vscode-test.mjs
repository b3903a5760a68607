// For machines with internet access: `npm run test:vscode` downloads VS Code desktop and runs
// test/vscode/ inside it. Machines without it (CI here) run the code-server e2e suite instead.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  files: 'out/test/vscode/**/*.test.js',
  version: '1.105.0',
  extensionDevelopmentPath: '.',
  mocha: { ui: 'tdd', timeout: 60000 },
});
