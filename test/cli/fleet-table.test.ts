// The fleet as the terminal shows it between waves (and after a rollout): host, version, health, wave.
import { describe, expect, it } from 'vitest';
import { fleetTable } from '../../src/cli/fleet.js';
describe('fleetTable (the fleet between waves: host, version, health, wave)', () => {
  it('one aligned row a host; a host that does not answer says so, with its health detail', () => {
    const rows = fleetTable(
      [
        { host: 'dhash-1', version: '1.1.0', running: true, pid: 10, started_at: null, url: 'http://127.0.0.1:1', health: { ok: true, detail: 'ok' } },
        { host: 'dhash-22', version: null, running: false, pid: null, started_at: null, url: 'http://127.0.0.1:2', health: { ok: false, detail: 'connection refused' } },
      ],
      { 'dhash-1': 'canary' },
    );
    expect(rows).toEqual([
      'host      version      health                       wave',
      'dhash-1   1.1.0        OK                           canary',
      'dhash-22  not running  not OK (connection refused)  -',
    ]);
  });
});
