#!/usr/bin/env bash
# Run the integration targets against the fleetsim at $FLEETSIM_URL and a moto_server (the peer
# check), both on loopback. Called by `make integration` through tests/utils/with-fleetsim.sh.
#
# Usage: tests/utils/run-integration.sh [ansible-test integration options...]
set -euo pipefail

: "${FLEETSIM_URL:?run me through tests/utils/with-fleetsim.sh}"
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scratch=$(mktemp -d)

moto_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
moto_server -H 127.0.0.1 -p "$moto_port" >"$scratch/moto.log" 2>&1 &
moto_pid=$!
# A second moto_server that checks credentials (moto's INITIAL_NO_AUTH_ACTION_COUNT=0): it refuses
# every request signed with a key it never issued, as S3 refuses a key it does not know
# (invocation_s3_output's denied read).
denying_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
INITIAL_NO_AUTH_ACTION_COUNT=0 moto_server -H 127.0.0.1 -p "$denying_port" >"$scratch/moto-denying.log" 2>&1 &
denying_pid=$!
# A second, small fleetsim over HTTPS with a throwaway CA, for the TLS cases of invocation_bad_input.
# Same credentials as the main one (FLEETSIM_* variables); its log goes to $FLEETSIM_TLS_LOG if set.
fleetsim serve --host 127.0.0.1 --port 0 --instances 1 --tls-dir "$scratch/tls" --url-file "$scratch/tls_url" \
  >"$scratch/fleetsim-tls.out" 2>"${FLEETSIM_TLS_LOG:-$scratch/fleetsim-tls.log}" &
tls_pid=$!
trap cleanup EXIT
cleanup() {
  kill "$moto_pid" "$denying_pid" "$tls_pid" 2>/dev/null || true
  wait "$moto_pid" "$denying_pid" "$tls_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
for _ in $(seq 1 100); do
  python -c "import socket; [socket.create_connection(('127.0.0.1', port), 0.2).close() for port in ($moto_port, $denying_port)]" 2>/dev/null \
    && [ -s "$scratch/tls_url" ] && break
  sleep 0.1
done
[ -s "$scratch/tls_url" ] || { echo "the HTTPS fleetsim did not start" >&2; exit 1; }

# ansible-test hands the playbooks a reduced environment, so the endpoints travel as variables.
cat >"$scratch/integration_config.yml" <<YAML
---
fleetsim_url: ${FLEETSIM_URL}
fleetsim_access_key: '${FLEETSIM_ACCESS_KEY:-AKIAFLEETSIM00000001}'
fleetsim_secret_key: '${FLEETSIM_SECRET_KEY:-fleetsim-secret-key-0000000000000000000000}'
fleetsim_zenlayer_token: '${FLEETSIM_ZENLAYER_TOKEN:-fleetsim-zenlayer-token-000000000000}'
fleetsim_url_password: '${FLEETSIM_URL_PASSWORD:-fleetsim-url-password-00000000000000}'
fleetsim_tls_url: $(cat "$scratch/tls_url")
fleetsim_tls_ca: $scratch/tls/ca.pem
moto_url: http://127.0.0.1:${moto_port}
moto_denying_url: http://127.0.0.1:${denying_port}
# Where targets may leave files for tests/utils/scan-secrets.py (role reports); empty: nowhere.
integration_report_dir: '${INTEGRATION_REPORT_DIR:-}'
YAML

INTEGRATION_CONFIG=$scratch/integration_config.yml "$root/tests/run-ansible-test.sh" integration "$@"
