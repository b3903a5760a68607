import * as vscode from 'vscode';
import type Dockerode from 'dockerode';
import { openShell, ShellSession } from '../../core/docker/containerActions';
import { errorText } from '../../core/docker/errors';

/** An interactive shell inside a container: `docker exec -it` over the host's own connection. */
export function openShellTerminal(docker: Dockerode, containerId: string, title: string): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void | number>();
  let session: ShellSession | undefined;
  let closed = false;
  let ended = false;
  const abandoned = new AbortController();
  const finish = (code: number) => {
    if (!closed && !ended) {
      ended = true;
      close.fire(code);
    }
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: (dimensions) => {
      openShell(docker, containerId, dimensions?.columns ?? 80, dimensions?.rows ?? 24, abandoned.signal).then(
        (s) => {
          if (closed) {
            // Closed while the exec was starting: tell the fresh shell to exit, then let go.
            s.stream.on('error', () => undefined);
            s.stream.on('end', () => s.stream.destroy());
            s.stream.end('exit\r');
            return;
          }
          session = s;
          s.stream.on('data', (chunk: Buffer) => write.fire(chunk.toString()));
          s.stream.on('end', () => {
            void s.exitCode().then(
              (code) => finish(code ?? 0),
              () => finish(0),
            );
          });
          // A dropped connection must end this terminal, not the extension host.
          s.stream.on('error', (err) => {
            write.fire(`\r\n\x1b[31mThe shell's connection was lost: ${errorText(err)}\x1b[0m\r\n`);
            finish(1);
          });
          if (dimensions) {
            void s.resize(dimensions.columns, dimensions.rows).catch(() => undefined);
          }
        },
        (err) => !closed && write.fire(`\x1b[31mCannot open a shell: ${errorText(err)}\x1b[0m\r\n`),
      );
    },
    handleInput: (data) => {
      if (session && !ended) {
        session.stream.write(data);
      }
    },
    setDimensions: (d) => {
      void session?.resize(d.columns, d.rows).catch(() => undefined);
    },
    close: () => {
      closed = true;
      abandoned.abort();
      session?.stream.end();
      session?.stream.destroy();
    },
  };
  const terminal = vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon('terminal') });
  terminal.show();
  return terminal;
}
