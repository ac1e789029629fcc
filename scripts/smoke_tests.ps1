# smoke_tests.ps1 (the seeds' command, for Windows): smoke tests — runs `rollout smoke`.
# Flags: --env E [--pre-deploy|--post-deploy|--post-rollback] [--tier critical|standard|all] [--output FILE] [--dry-run]. Any other flag of `rollout smoke` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'smoke_tests' @args
exit $code
