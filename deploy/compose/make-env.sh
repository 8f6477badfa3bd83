#!/usr/bin/env bash
# Writes .env with fresh random passwords for docker compose (never commit .env). Run again
# on an existing .env: adds only the variables it lacks (a newer Fleet's, e.g. notify's),
# never changes one that is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
# a letter then hex: nats-server reads a substituted value starting with a digit as a number
pw() { python3 -c 'import secrets; print("p" + secrets.token_hex(24))'; }
umask 077
touch .env && chmod 600 .env
added=0
add() {  # add NAME VALUE, unless .env has NAME already
  grep -q "^$1=" .env && return 0
  echo "$1=$2" >> .env
  added=$((added + 1))
}
for user in ADMIN AUTH VAULT STRATEGY EXECUTOR GATEWAY NOTIFY; do add "NATS_${user}_PASSWORD" "$(pw)"; done
add POSTGRES_PASSWORD "$(pw)"
# the vault service's AppRole role id (a name more than a secret: its one-use secret ids,
# minted by openbao-init at each start, are the credential)
add VAULT_ROLE_ID "$(python3 -c 'import uuid; print(uuid.uuid4())')"
# notify: master key of the per-user webhook secrets (deploy/RUNBOOKS.md "Notifications")
add FLEET_WEBHOOK_SIGNING_KEY "$(pw)"
# notify's e-mail: the paper profile's mail sink (mailpit, http://127.0.0.1:8025). For a real
# relay: its host, FLEET_SMTP_PORT=587, FLEET_SMTP_STARTTLS=true, FLEET_SMTP_USERNAME and
# FLEET_SMTP_PASSWORD. Without a reachable server every e-mail is a recorded failure.
add FLEET_SMTP_HOST mailpit
add FLEET_SMTP_PORT 1025
add FLEET_SMTP_STARTTLS false
echo "wrote .env ($added variables added)"
