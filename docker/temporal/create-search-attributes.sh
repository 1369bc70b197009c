#!/bin/sh
# One-shot, idempotent: registers mono-reauth's search attributes (SPEC 3.2) in the namespace.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
until temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; do
  echo "waiting for namespace $ns ..."
  sleep 2
done
for pair in MonoAccountState:Keyword MonoInstitution:Keyword MonoEscalated:Bool MonoStateSince:Datetime; do
  name="${pair%%:*}"
  type="${pair##*:}"
  if temporal operator search-attribute list --namespace "$ns" | grep -q "^ *$name "; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
  fi
done
