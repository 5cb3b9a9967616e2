#!/usr/bin/env bash
# Run the integration command with distinctive, random secrets at -vvvv (the caller passes -vvvv),
# keep everything it writes, then fail if any secret shows up anywhere in it.
#
# Usage: tests/utils/integration-secrets-scanned.sh OUTDIR -- command [args...]
# OUTDIR (emptied first) gets integration.log (the whole -vvvv output), fleetsim.log and
# fleetsim-tls.log (the simulators' request logs), ansible-test/ (tests/output of the run: results,
# junit) and reports/ (role reports written by invocation_bad_input). The secrets are the fleetsim
# secret key (every provider signs with it), the Zenlayer bearer token and a password put in URLs
# (endpoint_url, aws_config proxies); fleetsim, the integration config and the targets all take them
# from the FLEETSIM_* variables set here.
set -euo pipefail

if [ $# -lt 3 ] || [ "$2" != "--" ]; then
  echo "usage: $0 OUTDIR -- command [args...]" >&2
  exit 2
fi
out=$1
shift 2
rm -rf "$out"
mkdir -p "$out/reports"
out=$(cd "$out" && pwd)

random() { python -c 'import secrets; print(secrets.token_hex(12))'; }
# '/' and '+' as in real AWS secret keys: their URL-quoted forms differ, so the scan checks both.
FLEETSIM_SECRET_KEY="mciSecret/$(random)+Key"
FLEETSIM_ZENLAYER_TOKEN="mciZosToken-$(random)"
# A password the bad-input target puts in the user-info of endpoint_url and of an aws_config proxy URL.
FLEETSIM_URL_PASSWORD="mciUrlPass-$(random)"
export FLEETSIM_SECRET_KEY FLEETSIM_ZENLAYER_TOKEN FLEETSIM_URL_PASSWORD
export FLEETSIM_LOG=$out/fleetsim.log FLEETSIM_TLS_LOG=$out/fleetsim-tls.log
export ANSIBLE_TEST_RESULTS=$out/ansible-test INTEGRATION_REPORT_DIR=$out/reports

status=0
"$@" >"$out/integration.log" 2>&1 || status=$?
# The full -vvvv output is long: show the recaps, and the end of it when the run failed.
grep -E '^(Running .* integration test role|testhost +:|FATAL|ERROR:)' "$out/integration.log" || true
if [ "$status" -ne 0 ]; then
  echo "integration failed (status $status); the last 200 lines of $out/integration.log:" >&2
  tail -n 200 "$out/integration.log" >&2
fi

scan=0
python "$(dirname "$0")/scan-secrets.py" --self-test --secret-env FLEETSIM_SECRET_KEY --secret-env FLEETSIM_ZENLAYER_TOKEN --secret-env FLEETSIM_URL_PASSWORD "$out" || scan=$?
if [ "$status" -eq 0 ] && [ "$scan" -ne 0 ]; then
  status=$scan
fi
exit "$status"
