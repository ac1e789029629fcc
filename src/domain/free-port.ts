// A free TCP port on 127.0.0.1, for moving the embedded service of a workspace copy out of the
// way of the real one (premerge) and for tests.
import { createServer } from 'node:net';

/** Ask the OS for a free loopback port (released again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
