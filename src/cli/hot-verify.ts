// Entry of `rollout verify`'s module graph (scripts/build.mjs HOT_GRAPHS: built apart from the
// shared graph and the other hot graphs, with only what verify always loads taken in eagerly).
// The hashing thread starts first (src/backup/hash-prestart.ts), so that its ~100 ms start runs on
// the other core while this one loads the rest (hot-verify-run.ts, an entry of this graph too, so
// that hot.ts's hand-over to ./start.js stays beside it). index.ts sends no help line here.
import { prestartHashThread } from '../usecases/verify-start.js';

prestartHashThread();
void import('./hot-verify-run.js');
