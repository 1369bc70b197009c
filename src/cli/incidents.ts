/** Bank-wide incidents from the CLI (src/incidents/): `mono-reauth incidents list [--json]`. */
import type { IncidentView, Incidents } from '../incidents/client.js';
import { table } from './format.js';

export const INCIDENTS_USAGE = `  mono-reauth incidents list [--json]`;

export async function incidentsCommand(
  incidents: Incidents,
  out: { json: boolean; print: (text: string) => void }
): Promise<number> {
  const list = await incidents.list();
  if (out.json) return (out.print(JSON.stringify({ incidents: list }, null, 2)), 0);
  if (list.length === 0) return (out.print('no incidents'), 0);
  out.print(
    table(
      ['INSTITUTION', 'STATUS', 'OPENED', 'CLOSED', 'ACCOUNTS', 'FAILING', 'PEAK', 'HELD', 'NOTICES HELD/SENT'],
      list.map(row)
    )
  );
  return 0;
}

function row(i: IncidentView): string[] {
  const n = (value: number | null | undefined): string => (typeof value === 'number' ? String(value) : '-');
  return [
    i.institution,
    i.closeReason ? `${i.status} (${i.closeReason})` : i.status,
    i.openedAt ?? i.startedAt,
    i.closedAt ?? '-',
    n(i.accounts),
    n(i.failing),
    n(i.peakFailing),
    n(i.held),
    i.heldNotices === null || i.heldNotices === undefined ? '-' : `${i.heldNotices}/${n(i.releasedNotices)}`,
  ];
}
