#!/usr/bin/env bash
# Writes .env with fresh random passwords for docker compose (never commit .env).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f .env ] && { echo ".env exists; remove it to regenerate"; exit 1; }
# a letter then hex: nats-server reads a substituted value starting with a digit as a number
pw() { python3 -c 'import secrets; print("p" + secrets.token_hex(24))'; }
umask 077
{
  for user in ADMIN AUTH VAULT STRATEGY EXECUTOR GATEWAY; do echo "NATS_${user}_PASSWORD=$(pw)"; done
  echo "POSTGRES_PASSWORD=$(pw)"
} > .env
echo "wrote .env"
