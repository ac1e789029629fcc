# validate_logging.ps1 (the seeds' command, for Windows): logging validation (redaction, torn lines) — runs `rollout validate-logging`.
# Flags: [--env E] [--output FILE]; every environment's logs are scanned. Any other flag of `rollout validate-logging` passes through.
. (Join-Path $PSScriptRoot 'rollout-path.ps1')
$code = Invoke-Rollout 'seed-script' 'validate_logging' @args
exit $code
