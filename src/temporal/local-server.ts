/**
 * `npm start`'s Temporal: the server already answering at TEMPORAL_ADDRESS, or the dev server started there
 * (SQLite under TEMPORAL_DATA_DIR, Web UI, search attributes registered) when the address is a loopback one.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { isLoopbackHost } from '../lib/exposure.js';
import type { Logger } from '../lib/logger.js';
import { installAdvice, resolveBinary } from './binaries.js';
import { checkTemporalConnection } from './connection.js';
import { answers, startDevServer } from './dev-server.js';

/**
 * Uses the Temporal server at TEMPORAL_ADDRESS, or starts the dev server there. Returns how to stop it. A dev
 * server is started only for a plaintext loopback address (never 0.0.0.0: it has no authentication), never when
 * TLS or an API key is configured (that is a real cluster or Temporal Cloud, and an unreachable one is an error
 * to report, not to paper over).
 */
export async function ensureTemporal(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const { address, target } = config.temporal;
  const [host = 'localhost', portText = '7233'] = address.split(':');
  if (target.secured || !isLoopbackHost(host)) {
    await checkTemporalConnection(target);
    logger.info({ temporal: target.description }, 'using the Temporal server configured');
    return () => Promise.resolve();
  }
  if (await answers(address)) {
    logger.info({ address }, 'using the Temporal server already running');
    return () => Promise.resolve();
  }
  const cli = resolveBinary('cli', { onProgress: (m) => logger.info(m) });
  if (cli.source === 'sdk-download') return startWithSdkDownload(config, logger);
  const dataDir = resolve(config.temporal.dataDir);
  const logFile = join(dataDir, 'temporal.log');
  logger.info({ address, dataDir }, 'starting the Temporal dev server');
  const devServer = await startDevServer({
    cliPath: cli.path,
    host,
    port: Number(portText),
    namespace: config.temporal.namespace,
    dbFile: join(dataDir, 'temporal.sqlite'),
    uiPort: config.temporal.uiPort,
    logFile,
    onProgress: (m) => logger.info(m),
    // The UI decodes payloads through the service's codec endpoint (the operator listener; see service.ts).
    extraArgs: ['--ui-codec-endpoint', codecEndpoint(config)],
  });
  let stopping = false;
  devServer.process.once('exit', (code) => {
    if (!stopping) logger.error({ code, log: logFile }, 'the Temporal dev server exited unexpectedly');
  });
  return () => {
    stopping = true;
    return devServer.stop();
  };
}

/** Last resort when no binary was found or installed: the SDK downloads and runs the dev server itself. */
async function startWithSdkDownload(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { SEARCH_ATTRIBUTES } = await import('../workflows/account-lifecycle/api/search-attributes.js');
  const [host = 'localhost', portText = '7233'] = config.temporal.address.split(':');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: host,
        port: Number(portText),
        namespace: config.temporal.namespace,
        dbFilename: join(resolve(config.temporal.dataDir), 'temporal.sqlite'),
        uiPort: config.temporal.uiPort,
        searchAttributes: [...SEARCH_ATTRIBUTES],
      },
    });
    return () => env.teardown();
  } catch (err) {
    logger.error({ err: String(err) }, 'the SDK could not download the Temporal CLI either');
    throw new Error(installAdvice('cli'), { cause: err });
  }
}

/** Where the Web UI finds the codec server: the operator listener's `/codec`. */
export function codecEndpoint(config: Config): string {
  const { host, port } = config.adminAddress ?? { host: config.host, port: config.port };
  const shown = host === '0.0.0.0' || host === '::' || host === '127.0.0.1' ? 'localhost' : host;
  return `http://${shown}:${port}/codec`;
}
