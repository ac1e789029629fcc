// What the tune view does through the engines: the same use case as `rollout tune` (loaded only
// when the view opens), and the write followed by the validate-config check.
import type { EngineContext } from '../config/engine-context.js';
import type { TuneResult } from '../usecases/tune.js';

const CONFIG_NAME = 'quality-gates-config.json';

/** Load and write functions for the tune view of an environment. */
export function tuneActions(ctx: EngineContext): { configName: string; load: () => Promise<TuneResult>; write: (t: TuneResult) => Promise<string> } {
  return {
    configName: CONFIG_NAME,
    load: async () => {
      const [{ proposeTuning }, { readIncidents }] = await Promise.all([import('../usecases/tune.js'), import('../usecases/replay.js')]);
      return proposeTuning({ env: ctx.env, logsDir: ctx.ws.logsDir, configPath: ctx.ws.configPath, configName: CONFIG_NAME, current: ctx.gates, incidents: readIncidents(ctx.ws, ctx.env) });
    },
    write: async (t) => {
      const [{ writeProposal }, { loadGatesConfig }] = await Promise.all([import('../usecases/tune.js'), import('../config/gates.js')]);
      writeProposal(ctx.ws.configPath, CONFIG_NAME, t);
      // validate-config's check of the gates file, on what is now on disk.
      const cfg = loadGatesConfig(ctx.ws.configPath, CONFIG_NAME);
      const env = cfg.environments[ctx.env];
      return `Wrote ${CONFIG_NAME}; validate-config: OK (${ctx.env}: ${env?.gates.filter((g) => g.enabled).length ?? 0} gates).`;
    },
  };
}
