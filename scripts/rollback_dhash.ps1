# rollback_dhash.ps1 (the seeds' command, for Windows): restore a verified backup — runs `rollout rollback`.
# Flags: --env E [--backup FILE] [--force] [--dry-run]. Any other flag of `rollout rollback` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'rollback_dhash' @args
exit $code
