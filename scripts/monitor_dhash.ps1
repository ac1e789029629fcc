# monitor_dhash.ps1 (the seeds' command, for Windows): the T+60 monitor with quality gates and auto-rollback — runs `rollout monitor`.
# Flags: --env E [--duration MIN] [--resume]. Any other flag of `rollout monitor` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'monitor_dhash' @args
exit $code
