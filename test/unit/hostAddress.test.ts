import test from 'node:test';
import assert from 'node:assert/strict';
import { formatHostAddress, HostAddressError, parseHostAddress } from '../../src/core/docker/hostAddress';

test('parses the address forms the Docker CLI accepts', () => {
  assert.deepEqual(parseHostAddress('unix:///var/run/docker.sock'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  assert.deepEqual(parseHostAddress('ssh://azureuser@myvm.westeurope.cloudapp.azure.com'), {
    kind: 'ssh',
    user: 'azureuser',
    host: 'myvm.westeurope.cloudapp.azure.com',
    port: 22,
  });
  assert.deepEqual(parseHostAddress('ssh://10.0.0.4:2222'), { kind: 'ssh', user: undefined, host: '10.0.0.4', port: 2222 });
  assert.deepEqual(parseHostAddress('tcp://20.1.2.3:2376'), { kind: 'tcp', host: '20.1.2.3', port: 2376 });
  assert.deepEqual(parseHostAddress('  tcp://[::1]:2376/ '), { kind: 'tcp', host: '::1', port: 2376 });
  assert.deepEqual(parseHostAddress('ssh://me@[fe80::1]:2200'), { kind: 'ssh', user: 'me', host: 'fe80::1', port: 2200 });
});

test('formats addresses back the way users type them', () => {
  for (const address of ['unix:///tmp/d.sock', 'ssh://u@h.example', 'ssh://u@h.example:2222', 'tcp://h.example:2376', 'tcp://[::1]:2376']) {
    assert.equal(formatHostAddress(parseHostAddress(address)), address);
  }
});

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['myhost:2376', /no scheme/],
  ['ftp://host:21', /not supported/],
  ['unix://relative.sock', /absolute/],
  ['tcp://host', /add the port/],
  ['tcp://host:99999', /not a port number/],
  ['tcp://host:abc', /not a port number/],
  ['tcp://user@host:2376', /just host:port/],
  ['tcp://host:2376/path', /just host:port/],
  ['ssh://@host', /user name before "@" is empty/],
  ['ssh://bad user@host', /not a valid user name/],
  ['ssh://host/path', /cannot have a path/],
  ['ssh://', /host name is empty/],
  ['tcp://-bad-.example:2376', /not a valid host name/],
  ['tcp://300.1.1.1:2376', /not a valid host name/],
  ['tcp://::1:2376', /brackets/],
  ['tcp://[::1:2376', /closing/],
];

for (const [input, reason] of bad) {
  test(`rejects ${JSON.stringify(input)} with a reason`, () => {
    assert.throws(
      () => parseHostAddress(input),
      (err: unknown) => err instanceof HostAddressError && reason.test(err.message) && err.message.includes('is not a Docker host address'),
    );
  });
}
