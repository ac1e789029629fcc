#!/bin/sh
# Bring VERSION back with `kubectl rollout undo --to-revision`: the newest ReplicaSet revision whose
# image is registry.example.com/dhash:VERSION; when none is kept, set the image (a new revision).
# Usage: rollback-to-version.sh VERSION
set -eu
version="$1"
ns=dhash
rev=$(kubectl -n "$ns" get replicasets -l app=dhash \
  -o jsonpath='{range .items[*]}{.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.template.spec.containers[0].image}{"\n"}{end}' \
  | awk -v img="registry.example.com/dhash:$version" '$2 == img { print $1 }' | sort -n | tail -1)
if [ -n "$rev" ]; then
  kubectl -n "$ns" rollout undo deployment/dhash --to-revision="$rev"
else
  kubectl -n "$ns" set image deployment/dhash dhash="registry.example.com/dhash:$version"
fi
kubectl -n "$ns" rollout status deployment/dhash --timeout=300s
