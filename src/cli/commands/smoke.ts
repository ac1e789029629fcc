// rollout smoke: the smoke-test engine arrives in its own issue; until then it refuses plainly.
import { notAvailable } from '../not-available.js';

export const { run } = notAvailable('smoke', 'the smoke-test engine');
