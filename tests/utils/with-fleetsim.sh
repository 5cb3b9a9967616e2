#!/usr/bin/env bash
# Start fleetsim on a free loopback port, run a command with FLEETSIM_URL set, stop fleetsim.
#
# Usage: tests/utils/with-fleetsim.sh [fleetsim serve options...] -- command [args...]
# fleetsim's log goes to ${FLEETSIM_LOG:-<scratch dir>/fleetsim.log}. The command's exit status is
# kept; fleetsim is stopped however the command ends.
set -euo pipefail

serve_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  serve_args+=("$1")
  shift
done
if [ $# -lt 2 ]; then
  echo "usage: $0 [fleetsim serve options...] -- command [args...]" >&2
  exit 2
fi
shift

scratch=$(mktemp -d)
url_file=$scratch/url
log=${FLEETSIM_LOG:-$scratch/fleetsim.log}
fleetsim serve --host 127.0.0.1 --port 0 --url-file "$url_file" "${serve_args[@]}" >"$scratch/stdout" 2>"$log" &
fleetsim_pid=$!

stop_fleetsim() {
  kill "$fleetsim_pid" 2>/dev/null || true
  wait "$fleetsim_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap stop_fleetsim EXIT

for _ in $(seq 1 100); do
  [ -s "$url_file" ] && break
  if ! kill -0 "$fleetsim_pid" 2>/dev/null; then
    echo "fleetsim did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -s "$url_file" ]; then
  echo "fleetsim did not report its URL within 10 seconds" >&2
  exit 1
fi

FLEETSIM_URL=$(cat "$url_file")
export FLEETSIM_URL
"$@"
