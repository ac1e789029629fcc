#!/usr/bin/env bash
# deploy_dhash.sh (the seeds' command): deploy dhash, then the T+60 monitor — runs `rollout deploy`.
# Flags: --env E [--version V] [--backup-first] [--dry-run] [--force|--yes] [--no-monitor]; --force confirms like --yes. Any other flag of `rollout deploy` passes through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/rollout-path.sh"
rollout_exec seed-script deploy_dhash "$@"
