#!/usr/bin/env bash
# migrate_dhash.sh (the seeds' command): migrations — runs `rollout migrate`.
# Flags: --env E [--type forward|backward] [--dry-run]; no --type means forward. Any other flag of `rollout migrate` passes through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/rollout-path.sh"
rollout_exec seed-script migrate_dhash "$@"
