/** The Mono API the worker calls: the real one when MONO_SECRET_KEY is set, otherwise the sandbox simulator. */
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { startMonoSimulator, type MonoSimulator, type SimulatorOptions } from '../../mono-sim/simulator.js';
import { DEVELOPMENT_OUTBOUND } from '../../lib/outbound.js';
import type { Pacer } from '../../lib/pacer.js';
import { MonoClient } from './client.js';

export interface MonoConnection {
  client: MonoClient;
  /** Where calls go, for the banner and logs. */
  description: string;
  /** The simulator, when one was started. */
  simulator: MonoSimulator | undefined;
  close(): Promise<void>;
}

export interface ConnectMonoOptions {
  config: Pick<
    Config,
    'monoSecretKey' | 'monoApiUrl' | 'monoRequestTimeoutMs' | 'monoSimPort' | 'webhookSecrets' | 'outbound'
  >;
  logger: Logger;
  /** Where the simulator's webhooks go (the ingress). */
  webhookUrl: string;
  /** Options for the simulator, when one is started. */
  simulator?: Omit<SimulatorOptions, 'webhookTarget'>;
  onCall?: (endpoint: string, outcome: string, seconds: number) => void;
  /** Paces every request (MONO_MAX_RPS). */
  pacer?: Pacer;
}

export async function connectMono({
  config,
  logger,
  webhookUrl,
  simulator,
  onCall,
  pacer,
}: ConnectMonoOptions): Promise<MonoConnection> {
  const timeoutMs = config.monoRequestTimeoutMs;
  if (config.monoSecretKey) {
    return {
      client: new MonoClient({
        baseUrl: config.monoApiUrl,
        secretKey: config.monoSecretKey,
        timeoutMs,
        onCall,
        pacer,
        outbound: config.outbound,
      }),
      description: config.monoApiUrl,
      simulator: undefined,
      close: () => Promise.resolve(),
    };
  }
  const sim = await startMonoSimulator(config.monoSimPort, '127.0.0.1', {
    ...simulator,
    webhookTarget: { url: webhookUrl, secret: config.webhookSecrets[0]! },
  });
  logger.warn({ url: sim.url }, 'MONO_SECRET_KEY is unset: using the Mono sandbox simulator');
  return {
    // The simulator runs on this machine over http: only ever in development (config refuses it elsewhere).
    client: new MonoClient({
      baseUrl: sim.url,
      secretKey: sim.secretKey,
      timeoutMs,
      onCall,
      pacer,
      outbound: DEVELOPMENT_OUTBOUND,
    }),
    description: `sandbox simulator at ${sim.url} (MONO_SECRET_KEY unset)`,
    simulator: sim,
    close: () => sim.close(),
  };
}
