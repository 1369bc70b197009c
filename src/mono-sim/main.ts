/**
 * `npm run mono-sim`: the Mono sandbox simulator on its own. Point mono-reauth at it with
 * MONO_API_URL=http://127.0.0.1:3100 MONO_SECRET_KEY=test_sk_mono_reauth_simulator.
 */
import { z } from 'zod';
import { SIMULATOR_SECRET_KEY, startMonoSimulator } from './simulator.js';

const Env = z.object({
  MONO_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  MONO_SIM_HOST: z.string().default('127.0.0.1'),
  MONO_SIM_WEBHOOK_URL: z.url().default('http://localhost:3000/webhooks/mono'),
  MONO_WEBHOOK_SECRET: z.string().default('dev-webhook-secret'),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  console.error(
    `Invalid configuration:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`
  );
  process.exit(1);
}
const env = parsed.data;
const sim = await startMonoSimulator(env.MONO_SIM_PORT, env.MONO_SIM_HOST, {
  webhookTarget: { url: env.MONO_SIM_WEBHOOK_URL, secret: env.MONO_WEBHOOK_SECRET.split(',')[0]!.trim() },
  log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
});
process.stderr.write(
  [
    '',
    `Mono sandbox simulator listening on ${sim.url}`,
    `  API key        mono-sec-key: ${SIMULATOR_SECRET_KEY}`,
    `  Webhooks to    ${env.MONO_SIM_WEBHOOK_URL}`,
    `  Scenario       PUT  ${sim.url}/_sim/accounts/<id>  {"sync":["sync_error","reauth_required","success"],"institution":"GTBank"}`,
    `  Send webhook   POST ${sim.url}/_sim/webhooks       {"event":"sync_failed","accountId":"<id>"}`,
    `  Call log       GET  ${sim.url}/_sim/calls`,
    `  Lose a webhook POST ${sim.url}/_sim/accounts/<id>/change {"change":"reauthorise","webhook":false}`,
    `  Requests/s     GET  ${sim.url}/_sim/rate`,
    `  SMS, WhatsApp  GET  ${sim.url}/_sim/messages       (fake Africa's Talking and WhatsApp Cloud API)`,
    `  Owner replies  POST ${sim.url}/_sim/sms/inbound    {"from":"+2348031234567","text":"STOP"}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n')
);
const stop = (): void => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
