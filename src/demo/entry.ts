// How to start the embedded service: the bundled dist/dhash-service.js next to the running CLI
// bundle, or (from a source checkout, in tests) src/demo/service-main.ts through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../config/workspace.js';

/** The command line that starts the service (arguments for it are appended by the caller). */
export function serviceEntry(): { command: string; args: string[]; cwd?: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  // The CLI bundle's chunks live in <dist>/chunks/ or <dist>/.
  for (const c of [join(here, 'dhash-service.js'), join(here, '..', 'dhash-service.js')]) {
    if (existsSync(c)) return { command: process.execPath, args: [c] };
  }
  const root = packageRoot();
  const src = join(root, 'src', 'demo', 'service-main.ts');
  if (existsSync(src)) return { command: process.execPath, args: ['--import', 'tsx', src], cwd: root };
  const dist = join(root, 'dist', 'dhash-service.js');
  if (existsSync(dist)) return { command: process.execPath, args: [dist] };
  throw new Error('the embedded dhash service is not built; run `npm run build` in the package folder');
}
