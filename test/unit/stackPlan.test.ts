import test from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, parseDotEnv, planStack } from '../../src/core/swarm/stackPlan';

test('variables are filled as Compose fills them', () => {
  const env = { A: 'x', EMPTY: '' };
  assert.equal(interpolate('$A ${A} ${B:-d} ${EMPTY:-d} ${EMPTY-d} $$A ${B}', env), 'x x d d  $A ');
});

test('.env lines: comments skipped, quotes dropped', () => {
  assert.deepEqual(parseDotEnv('# c\nA=1\nexport B="two words"\n\nC=\'3\'\n'), { A: '1', B: 'two words', C: '3' });
});

test('names and labels follow docker stack deploy; only used networks are made', () => {
  const plan = planStack(
    `services:
  web:
    image: img:1
    deploy: { replicas: 2, endpoint_mode: dnsrr }
    ports: ["8080:80", { target: 81, published: 8081, mode: host }]
    configs: [site]
    secrets: [key]
networks:
  unused: {}
configs:
  site: { file: ./site.conf }
secrets:
  key: { file: ./key.txt }
`,
    'shop',
    {},
  );
  assert.deepEqual(
    plan.networks.map((n) => n.name),
    ['shop_default'],
  );
  assert.deepEqual(
    plan.configs.map((c) => [c.name, c.file]),
    [['shop_site', './site.conf']],
  );
  const spec = plan.services[0].spec as Record<string, any>;
  assert.equal(spec.Name, 'shop_web');
  assert.deepEqual(spec.Labels, { 'com.docker.stack.namespace': 'shop', 'com.docker.stack.image': 'img:1' });
  assert.deepEqual(spec.TaskTemplate.Networks, [{ Target: 'shop_default', Aliases: ['web'] }]);
  assert.deepEqual(spec.Mode, { Replicated: { Replicas: 2 } });
  assert.equal(spec.EndpointSpec.Mode, 'dnsrr');
  assert.deepEqual(
    spec.EndpointSpec.Ports.map((p: any) => `${p.PublishedPort}:${p.TargetPort}/${p.PublishMode}`),
    ['8080:80/ingress', '8081:81/host'],
  );
  assert.equal(spec.TaskTemplate.ContainerSpec.Secrets[0].File.Name, '/run/secrets/key');
  assert.equal(spec.TaskTemplate.ContainerSpec.Configs[0].File.Name, '/site');
});

test('refusals name the key and the service', () => {
  assert.throws(() => planStack('services:\n  db:\n    image: x\n    deploy:\n      resources: {}\n', 's', {}), {
    message:
      'Service db uses `deploy.resources:`, which deploying a stack from this extension does not support; remove it or deploy with the docker CLI.',
  });
  assert.throws(() => planStack('services:\n  db:\n    image: x\n    networks: [nope]\n', 's', {}), {
    message: "Service db joins the network nope, which the file's top-level networks do not define.",
  });
  assert.throws(() => planStack('services:\n  db:\n    image: x\n', 'bad name', {}), /stack name bad name is not valid/);
});
