# migrate_dhash.ps1 (the seeds' command, for Windows): migrations — runs `rollout migrate`.
# Flags: --env E [--type forward|backward] [--dry-run]; no --type means forward. Any other flag of `rollout migrate` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'migrate_dhash' @args
exit $code
