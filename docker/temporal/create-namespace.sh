#!/bin/sh
# One-shot job (temporalio/admin-tools): waits until the cluster is healthy, then creates the namespace and
# mono-reauth's search attributes if they are missing. Idempotent.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at ${TEMPORAL_ADDRESS} did not become healthy"; exit 1; }
  echo "waiting for Temporal at ${TEMPORAL_ADDRESS} ..."
  sleep 2
done
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention "${NAMESPACE_RETENTION:-30d}"
for pair in MonoAccountState:Keyword MonoInstitution:Keyword MonoEscalated:Bool MonoStateSince:Datetime MonoUndelivered:Bool MonoLastHeard:Datetime \
  MonoReauthorisedAt:Datetime MonoReauthSeconds:Int MonoReauthChannels:KeywordList MonoIncident:Keyword; do
  name="${pair%%:*}"
  type="${pair##*:}"
  if temporal operator search-attribute list --namespace "$ns" | grep -q "^ *$name "; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
  fi
done
