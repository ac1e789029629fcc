#!/usr/bin/env bash
# smoke_tests.sh (the seeds' command): smoke tests — runs `rollout smoke`.
# Flags: --env E [--pre-deploy|--post-deploy|--post-rollback] [--tier critical|standard|all] [--output FILE] [--dry-run]. Any other flag of `rollout smoke` passes through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/rollout-path.sh"
rollout_exec seed-script smoke_tests "$@"
