/**
 * Bank-wide incidents in the admin API (docs/incidents.md), operator tokens only:
 *   GET /incidents    the most recent incidents, open ones first, with their counts
 */
import express, { type Router } from 'express';
import type { Incidents } from '../../incidents/client.js';
import { OPERATOR_ONLY, type AccessControl } from '../access.js';

export function createIncidentRouter({ access, incidents }: { access: AccessControl; incidents: Incidents }): Router {
  const router = express.Router();
  router.get('/incidents', access.allow(OPERATOR_ONLY), async (_req, res) => {
    res.json({ incidents: await incidents.list() });
  });
  return router;
}
