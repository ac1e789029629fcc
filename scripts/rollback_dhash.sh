#!/usr/bin/env bash
# rollback_dhash.sh (the seeds' command): restore a verified backup — runs `rollout rollback`.
# Flags: --env E [--backup FILE] [--force] [--dry-run]. Any other flag of `rollout rollback` passes through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/rollout-path.sh"
rollout_exec seed-script rollback_dhash "$@"
