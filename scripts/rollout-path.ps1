# Dot-sourced by the scripts/*.ps1 wrappers (the seeds' commands, for Windows): runs `rollout` from,
# in this order, $env:ROLLOUT_BIN, the guarded-rollout package these scripts sit in, the
# workspace's node_modules\.bin\rollout.cmd, or rollout on PATH; returns its exit code.
function Invoke-Rollout {
  $bin = $env:ROLLOUT_BIN
  $pkgBin = Join-Path (Join-Path (Join-Path $PSScriptRoot '..') 'bin') 'rollout.js'
  $pkgJson = Join-Path (Join-Path $PSScriptRoot '..') 'package.json'
  $localBin = Join-Path (Join-Path (Join-Path (Join-Path $PSScriptRoot '..') 'node_modules') '.bin') 'rollout.cmd'
  if (-not $bin) {
    if ((Test-Path $pkgBin) -and (Select-String -Quiet -SimpleMatch '"name": "guarded-rollout"' -Path $pkgJson)) { $bin = $pkgBin }
    elseif (Test-Path $localBin) { $bin = $localBin }
    elseif (Get-Command rollout -ErrorAction SilentlyContinue) { $bin = 'rollout' }
    else {
      [Console]::Error.WriteLine("rollout is not installed; run: npm install -g guarded-rollout (or set ROLLOUT_BIN).")
      return 2
    }
  }
  if ($bin -like '*.js') { & node $bin @args } else { & $bin @args }
  return $LASTEXITCODE
}
