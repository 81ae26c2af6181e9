/**
 * deploy/kubernetes against the Kubernetes API schemas (kubernetes-models: the OpenAPI schemas of
 * each kind, compiled to validators) — no cluster — and against each other and the gateway: the
 * ConfigMap's policy is a valid policy, the probes and ports are the policy's, the volumes name the
 * ConfigMap and Secret that exist, selectors select the pods, kustomization lists every file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '@resultgate/gateway';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO } from './docker.js';

const DIR = join(REPO, 'deploy/kubernetes');
const KINDS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'v1 Secret': Secret,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
type Manifest = any;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${f}: ${d.errors[0]!.message}`);
    return { ...d.toJS(), __file: f };
  }),
);
const find = (kind: string, name: string): Manifest => {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name}`);
  return m;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/kubernetes', () => {
  it('every manifest is valid against its kind’s schema', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    for (const { __file, ...m } of manifests) {
      const Model = KINDS[`${m.apiVersion} ${m.kind}`];
      expect(Model, `${__file}: ${m.apiVersion} ${m.kind} has no validator here`).toBeDefined();
      expect(
        () => new Model!(m as never).validate(),
        `${__file} ${m.kind} ${m.metadata?.name}`,
      ).not.toThrow();
    }
  });

  it('the schema check itself catches a broken manifest', () => {
    const broken = structuredClone(find('Deployment', 'resultgate-gateway'));
    delete broken.__file;
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.port = { not: 'a port' };
    expect(() => new Deployment(broken).validate()).toThrow();
  });

  it('kustomization lists exactly the manifests in the folder', () => {
    const k = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS();
    expect([...k.resources].sort()).toEqual([...files].sort());
  });

  it('the ConfigMap holds a valid policy whose files are the mounted Secret’s', () => {
    const policy = parsePolicy(JSON.parse(find('ConfigMap', 'resultgate-policy').data['policy.json']));
    const secret = find('Secret', 'resultgate-secrets');
    const gateway = find('Deployment', 'resultgate-gateway').spec.template.spec;
    const mounts = gateway.containers[0].volumeMounts as { name: string; mountPath: string }[];
    const secretMount = mounts.find((m) => m.name === 'secrets')!.mountPath;
    for (const file of [
      policy.server.https.certFile,
      policy.server.https.keyFile,
      policy.sessions.secretFile,
      policy.identity.secretFile,
    ]) {
      expect(file.startsWith(`${secretMount}/`), file).toBe(true);
      expect(Object.keys(secret.stringData), file).toContain(file.slice(secretMount.length + 1));
    }
    // The image reads the policy from $RESULTGATE_POLICY: the ConfigMap's mount.
    const env = gateway.containers[0].env.find((e: { name: string }) => e.name === 'RESULTGATE_POLICY').value;
    expect(env).toBe(`${mounts.find((m) => m.name === 'policy')!.mountPath}/policy.json`);
    const volumes = Object.fromEntries(gateway.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes.policy.configMap.name).toBe('resultgate-policy');
    expect(volumes.secrets.secret.secretName).toBe('resultgate-secrets');
    expect(mounts.find((m) => m.mountPath === policy.logs.dir)).toBeDefined();
    // The upstream is the result service's Service.
    const results = find('Service', 'resultgate-results');
    expect(policy.server.upstream.url).toBe(`http://${results.metadata.name}:${results.spec.ports[0].port}`);
  });

  it('the container demo’s policy (compose.yaml, the image test) is valid too', () => {
    const demo = JSON.parse(readFileSync(join(REPO, 'deploy/demo/policy.json'), 'utf8'));
    expect(parsePolicy(demo).server.upstream.url).toBe('http://results:3000');
  });

  it('probes ask the policy’s admin port; ports, non-root and read-only as the image expects', () => {
    const policy = parsePolicy(JSON.parse(find('ConfigMap', 'resultgate-policy').data['policy.json']));
    const pod = find('Deployment', 'resultgate-gateway').spec.template.spec;
    const c = pod.containers[0];
    const port = (name: string) => c.ports.find((p: { name: string }) => p.name === name).containerPort;
    expect(port('admin')).toBe(policy.server.admin!.port);
    expect(port('https')).toBe(policy.server.https.port);
    expect(port('http')).toBe(policy.server.http!.port);
    expect(policy.server.admin!.host).toBe('0.0.0.0'); // the kubelet probes the pod's address
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    // Ports below 1024 as uid 1000 need the sysctl.
    if (policy.server.https.port < 1024) {
      expect(pod.securityContext.sysctls).toContainEqual({
        name: 'net.ipv4.ip_unprivileged_port_start',
        value: '0',
      });
    }
    // The preStop pause plus the drain (SIGTERM) have time for the slowest upstream answer.
    const timeoutSeconds = Number(policy.server.upstream.timeout) / 1000;
    const preStop = Number(c.lifecycle.preStop.exec.command[1]);
    expect(timeoutSeconds).toBe(30);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + timeoutSeconds);
    // The public Service does not expose the admin port.
    const service = find('Service', 'resultgate-gateway');
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort).sort()).toEqual([
      'http',
      'https',
    ]);
  });

  it('selectors select their pods', () => {
    for (const name of ['resultgate-gateway', 'resultgate-results']) {
      const labels = find('Deployment', name).spec.template.metadata.labels;
      expect(selects(find('Deployment', name).spec.selector.matchLabels, labels)).toBe(true);
      expect(selects(find('Service', name).spec.selector, labels)).toBe(true);
      expect(selects(find('NetworkPolicy', name).spec.podSelector.matchLabels, labels)).toBe(true);
    }
    const gatewayLabels = find('Deployment', 'resultgate-gateway').spec.template.metadata.labels;
    expect(
      selects(find('PodDisruptionBudget', 'resultgate-gateway').spec.selector.matchLabels, gatewayLabels),
    ).toBe(true);
    // The result service takes requests from the gateway pods only.
    const from = find('NetworkPolicy', 'resultgate-results').spec.ingress[0].from[0].podSelector.matchLabels;
    expect(selects(from, gatewayLabels)).toBe(true);
  });
});
