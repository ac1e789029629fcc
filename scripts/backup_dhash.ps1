# backup_dhash.ps1 (the seeds' command, for Windows): SHA256-verified backup — runs `rollout backup`.
# Flags: --env E [--dry-run]. Any other flag of `rollout backup` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'backup_dhash' @args
exit $code
