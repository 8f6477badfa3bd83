#!/usr/bin/env bash
# Writes .env with fresh random passwords for docker compose (never commit .env), and one
# NATS NKEY per service: its seed in .nkeys/<service>.nk (never committed; the container
# of that service alone mounts it), its public key in .env as NATS_<SERVICE>_NKEY (what
# nats.conf reads). Run again on an existing .env: adds only the variables and seeds it
# lacks (a newer Fleet's, e.g. notify's), never changes one that is there. Rotating a
# service's key: deploy/RUNBOOKS.md "Rotate NATS credentials".
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
# the operators' NATS user (stream-init, the nats CLI); every service is an NKEY (below)
add NATS_ADMIN_PASSWORD "$(pw)"
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
# Seeds 0644 in a 0700 directory: the containers run as uid 10001, not this user, and read
# their seed through a bind mount; the directory keeps this machine's other users out.
./fleet nats keys --seeds-dir .nkeys --file-mode 644 --env-file .env
