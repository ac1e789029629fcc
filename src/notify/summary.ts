// Who was told, in one line: the channels that took a notification, or NOBODY NOTIFIED when none
// did. The fallback file is a record, not a person, so it never counts as "sent".
import type { DeliveryReport } from './types.js';

/** The words every face (TUI, headless, --json) uses when no channel took a notification. */
export const NOBODY_NOTIFIED = 'NOBODY NOTIFIED';

/** Who a send reached. */
export interface DeliverySummary {
  /** Channels that took it (delivered, or folded into an identical one delivered moments ago). */
  channels: string[];
  /** True when no real channel took it (only the fallback file, or nothing at all). */
  nobody: boolean;
  /** One line for a stage or a log: "sent via slack, email" or "NOBODY NOTIFIED: …". */
  line: string;
}

/** Summarise a delivery report for people. */
export function summarizeDelivery(r: DeliveryReport): DeliverySummary {
  const real = r.outcomes.filter((o) => o.channel !== 'fallback');
  const dry = real.some((o) => o.status === 'dry-run');
  const took = real.filter((o) => o.status === 'delivered' || o.status === 'folded' || o.status === 'dry-run').map((o) => o.channel);
  const failed = real.filter((o) => o.status === 'failed').map((o) => o.channel);
  const fb = r.outcomes.find((o) => o.channel === 'fallback');
  const record = r.fallbackFile ? `; written to ${r.fallbackFile}` : fb?.status === 'failed' ? '; the fallback file could not be written either' : '';
  if (took.length) {
    const failedNote = failed.length ? `; FAILED on ${failed.join(', ')}` : '';
    return { channels: took, nobody: false, line: `${dry ? 'dry-run: would send via' : 'sent via'} ${took.join(', ')}${failedNote}${failed.length ? record : ''}` };
  }
  const why = failed.length ? `delivery failed on ${failed.join(', ')}` : 'no channel is set up to take it';
  return { channels: [], nobody: true, line: `${NOBODY_NOTIFIED}${dry ? ' (dry-run)' : ''}: ${why}${record}` };
}
