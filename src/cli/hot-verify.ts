// Entry of `rollout verify`'s module graph (scripts/build.mjs HOT_GRAPHS: built apart from the
// shared graph and the other hot graphs, with only what verify always loads taken in eagerly).
// The hashing thread starts first (src/backup/hash-prestart.ts) when it will be used, so that its
// ~100 ms start runs on the other core while this one loads the rest (hot-verify-run.ts, an entry
// of this graph too, so that hot.ts's hand-over to ./start.js stays beside it). index.ts sends no
// help line here.
import { prestartForVerify } from '../usecases/verify-start.js';

// Only for a line the direct path serves, naming an archive large enough to be hashed on it: a
// thread started for a smaller backup was ended unused (~85 ms of CPU on the other core), and one
// started for a line the shared graph runs was never adopted there.
prestartForVerify(process.argv);
void import('./hot-verify-run.js');
