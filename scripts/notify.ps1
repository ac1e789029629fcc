# notify.ps1 (the seeds' command, for Windows): a notification through every configured channel — runs `rollout notify`.
# Flags: --type T --env E --message M [--dry-run]. Any other flag of `rollout notify` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'notify' @args
exit $code
