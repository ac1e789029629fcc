// What `rollout verify` starts before its modules load (src/cli/hot-verify.ts): the archive's
// hashing thread (src/backup/hash-prestart.ts). A module of its own, so that the CLI's entry reaches
// the backup layer through a use case without loading the verify use case's graph first.
export { prestartHashThread } from '../backup/hash-prestart.js';
