#!/usr/bin/env bash
# backup_dhash.sh (the seeds' command): SHA256-verified backup — runs `rollout backup`.
# Flags: --env E [--dry-run]. Any other flag of `rollout backup` passes through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/rollout-path.sh"
rollout_exec seed-script backup_dhash "$@"
