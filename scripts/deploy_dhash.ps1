# deploy_dhash.ps1 (the seeds' command, for Windows): deploy dhash, then the T+60 monitor — runs `rollout deploy`.
# Flags: --env E [--version V] [--backup-first] [--dry-run] [--force|--yes] [--no-monitor]; --force confirms like --yes. Any other flag of `rollout deploy` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'deploy_dhash' @args
exit $code
