# Sourced by the scripts/*.sh wrappers (the seeds' commands): runs `rollout` from, in this order,
# $ROLLOUT_BIN, the guarded-rollout package these scripts sit in, the workspace's
# node_modules/.bin/rollout, or rollout on PATH.
rollout_exec() {
  local here bin
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [ -n "${ROLLOUT_BIN:-}" ]; then
    bin="$ROLLOUT_BIN"
  elif [ -f "$here/../bin/rollout.js" ] && grep -q '"name": "guarded-rollout"' "$here/../package.json" 2>/dev/null; then
    bin="$here/../bin/rollout.js"
  elif [ -x "$here/../node_modules/.bin/rollout" ]; then
    bin="$here/../node_modules/.bin/rollout"
  elif command -v rollout >/dev/null 2>&1; then
    bin="$(command -v rollout)"
  else
    echo "$(basename "$0"): rollout is not installed; run: npm install -g guarded-rollout (or set ROLLOUT_BIN)." >&2
    exit 2
  fi
  case "$bin" in
    *.js) exec node "$bin" "$@" ;;
    *) exec "$bin" "$@" ;;
  esac
}
