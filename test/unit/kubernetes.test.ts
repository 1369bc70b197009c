/**
 * The Kubernetes manifests (deploy/kubernetes), rendered by the real Kustomize (built from its Go module and cached,
 * scripts/lib/go-programs.ts) and checked structurally: no cluster runs here. Probes, resources, a non-root
 * read-only container, secrets as files, a disruption budget for the ingress, network policies, every variable one
 * the service knows, and the Worker Controller overlay's worker.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvSchema, SECRET_VARIABLES } from '../../src/config.js';
import { ensureGoProgram } from '../../scripts/lib/go-programs.js';

const KUSTOMIZE = { name: 'kustomize', pkg: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.1' };

interface Resource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}
interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

let kustomize: string;
const render = (dir: string): Resource[] =>
  parseAllDocuments(
    execFileSync(kustomize, ['build', fileURLToPath(new URL(`../../deploy/kubernetes/${dir}`, import.meta.url))], {
      encoding: 'utf8',
    })
  ).map((d) => d.toJSON() as Resource);

beforeAll(async () => {
  kustomize = await ensureGoProgram(KUSTOMIZE, (line) => console.error(line));
}, 600_000);

const podOf = (r: Resource) => r.spec.template.spec as { containers: Container[]; volumes: any[]; [k: string]: any };
const known = new Set([
  ...Object.keys(EnvSchema.shape),
  ...SECRET_VARIABLES.map((name) => `${name}_FILE`),
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
]);

/** What every container of the service must have, whichever resource runs it. */
function checkContainer(pod: ReturnType<typeof podOf>, configMaps: Resource[]): void {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(pod.automountServiceAccountToken).toBe(false);
  for (const c of pod.containers) {
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c.resources?.requests?.cpu).toBeTruthy();
    expect(c.resources?.requests?.memory).toBeTruthy();
    expect(c.resources?.limits?.memory).toBeTruthy();
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    const env = c.env ?? [];
    // Secrets come as files from the mounted Secret, never as values in the manifest.
    for (const name of SECRET_VARIABLES) expect(env.find((e) => e.name === name)).toBeUndefined();
    const files = env.filter((e) => e.name.endsWith('_FILE'));
    expect(files.length).toBeGreaterThan(0);
    const mount = c.volumeMounts?.find((m) => m.name === 'secrets');
    expect(mount?.readOnly).toBe(true);
    for (const f of files) expect(f.value?.startsWith(`${mount!.mountPath}/`)).toBe(true);
    const configured = (c.envFrom ?? []).flatMap((e) => {
      const map = configMaps.find((m) => m.metadata.name === e.configMapRef?.name);
      expect(map).toBeDefined();
      return Object.keys(map!.data ?? {});
    });
    const unknown = [...env.map((e) => e.name), ...configured].filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  }
}

describe('deploy/kubernetes/base', () => {
  let resources: Resource[];
  const one = (kind: string, name: string) => {
    const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
    expect(found, `${kind} ${name}`).toBeDefined();
    return found!;
  };
  beforeAll(() => {
    resources = render('base');
  });

  it('runs the ingress and the worker as non-root, read-only containers with probes, resources and secret files', () => {
    const configMaps = resources.filter((r) => r.kind === 'ConfigMap');
    for (const name of ['mono-reauth-ingress', 'mono-reauth-worker']) {
      const deployment = one('Deployment', name);
      checkContainer(podOf(deployment), configMaps);
      expect(podOf(deployment).containers[0]!.image).toMatch(/^[^:]+:\d+\.\d+\.\d+$/);
    }
    const roles = ['mono-reauth-ingress', 'mono-reauth-worker'].map(
      (n) => podOf(one('Deployment', n)).containers[0]!.env!.find((e) => e.name === 'SERVICE_ROLE')?.value
    );
    expect(roles).toEqual(['ingress', 'worker']);
  });

  it('keeps an ingress pod through voluntary disruptions and rolls the ingress without dropping one', () => {
    const ingress = one('Deployment', 'mono-reauth-ingress');
    expect(ingress.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pdb = one('PodDisruptionBudget', 'mono-reauth-ingress');
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.selector.matchLabels).toEqual(ingress.spec.selector.matchLabels);
    // The pod's grace period outlasts the drain the service does on SIGTERM.
    const drain = resources.find((r) => r.kind === 'ConfigMap')!.data!.SHUTDOWN_DRAIN ?? '20s';
    expect(podOf(ingress).terminationGracePeriodSeconds).toBeGreaterThan(Number.parseInt(drain, 10));
  });

  it('exposes the public port to all, and the operator port and metrics only to operator pods', () => {
    const policies = resources.filter((r) => r.kind === 'NetworkPolicy');
    const ingressPolicy = policies.find(
      (p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === 'ingress'
    );
    type Rule = { from?: unknown; ports: Array<{ port: number }> };
    const open = (ingressPolicy!.spec.ingress as Rule[]).filter((rule) => !rule.from);
    expect(open.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([3000]);
    const workerPolicy = policies.find(
      (p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === 'worker'
    );
    expect((workerPolicy!.spec.ingress as Rule[]).every((rule) => rule.from !== undefined)).toBe(true);
    const publicService = one('Service', 'mono-reauth');
    expect((publicService.spec.ports as Array<{ targetPort: string }>).map((p) => p.targetPort)).toEqual(['public']);
    expect(policies.some((p) => p.spec.policyTypes.includes('Egress'))).toBe(true);
  });
});

describe('deploy/kubernetes/worker-controller', () => {
  it('replaces the worker Deployment by a TemporalWorkerDeployment whose pods the controller versions', () => {
    const resources = render('worker-controller');
    expect(resources.find((r) => r.kind === 'Deployment' && r.metadata.name === 'mono-reauth-worker')).toBeUndefined();
    const worker = resources.find((r) => r.kind === 'TemporalWorkerDeployment')!;
    expect(worker.spec.workerOptions.connection).toBe(
      resources.find((r) => r.kind === 'TemporalConnection')!.metadata.name
    );
    const pod = podOf(worker);
    checkContainer(
      pod,
      resources.filter((r) => r.kind === 'ConfigMap')
    );
    const env = pod.containers[0]!.env!;
    // The controller sets these; the worker must not promote itself.
    expect(env.find((e) => e.name === 'TEMPORAL_DEPLOYMENT_NAME')).toBeUndefined();
    expect(env.find((e) => e.name === 'TEMPORAL_WORKER_BUILD_ID')).toBeUndefined();
    expect(env.find((e) => e.name === 'TEMPORAL_WORKER_PROMOTE')?.value).toBe('never');
    expect(pod.containers[0]!.image).toMatch(/^[^:]+:\d+\.\d+\.\d+$/);
  });
});
