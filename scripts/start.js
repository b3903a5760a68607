#!/usr/bin/env node
// `npm start`: build and package the extension, then open it in VS Code when `code` is on PATH.
const { execFileSync, spawn } = require('child_process');

function onPath(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

execFileSync('npm', ['run', 'package'], { stdio: 'inherit' });
if (onPath('code')) {
  spawn('code', [`--extensionDevelopmentPath=${process.cwd()}`], { stdio: 'inherit', detached: true }).unref();
  console.log('Opened VS Code with the extension loaded.');
} else {
  console.log('Built docker-on-azure.vsix. Install it with: code --install-extension docker-on-azure.vsix');
}
