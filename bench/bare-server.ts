/**
 * The bench's ceiling for the HTTP layer: Express on the same machine, reading and parsing the same JSON
 * body as `POST /webhooks/mono`, doing nothing else.
 */
import express from 'express';

const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/webhooks/mono', express.json({ limit: '256kb' }), (req, res) => {
  res.status(200).json({ ok: true, event: (req.body as { event?: unknown }).event });
});
const server = app.listen(Number(process.env.BARE_PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
