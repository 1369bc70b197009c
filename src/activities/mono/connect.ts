/** The Mono API the worker calls: the real one when MONO_SECRET_KEY is set, otherwise the sandbox simulator. */
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import type { SimPhoneCredentials } from '../../mono-sim/phone-credentials.js';
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
  > &
    Partial<Pick<Config, 'phone'>>;
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
  const simLog = logger.child({ source: 'mono-sim' });
  const sim = await startMonoSimulator(config.monoSimPort, '127.0.0.1', {
    ...(config.phone && { phoneCredentials: simulatedPhoneCredentials(config.phone) }),
    log: (line) => simLog.info(line),
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

/** The credentials the simulator's fake providers accept: the ones the service is configured to present. */
function simulatedPhoneCredentials(phone: Config['phone']): SimPhoneCredentials {
  return {
    atUsername: phone.sms.username,
    atApiKey: phone.sms.apiKey,
    atCallbackKey: phone.callbacks.atCallbackKey,
    waPhoneNumberId: phone.whatsapp.phoneNumberId,
    waAccessToken: phone.whatsapp.accessToken,
    waAppSecret: phone.callbacks.waAppSecret,
    waVerifyToken: phone.callbacks.waVerifyToken,
  };
}
