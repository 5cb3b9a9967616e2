#!/usr/bin/env bash
# The AWS CLI peer: `aws ssm wait command-executed` per instance, 10 at a time (xargs -P 10), with
# the CLI's documented defaults (GetCommandInvocation every 5 s, 20 attempts, exit 255 on a failed
# invocation or when it gives up). Each wait appends "command instance exit-code epoch-seconds".
#
# Usage: cli_wait.sh ENDPOINT PAIRS_FILE OUT_FILE   (PAIRS_FILE: "command-id instance-id" lines)
set -euo pipefail
endpoint=$1 pairs=$2 out=$3
: >"$out"
export BENCH_ENDPOINT=$endpoint BENCH_OUT=$out
xargs -P 10 -L 1 bash -c '
  code=0
  aws ssm wait command-executed --endpoint-url "$BENCH_ENDPOINT" --region us-east-1 \
    --command-id "$0" --instance-id "$1" >/dev/null 2>&1 || code=$?
  echo "$0 $1 $code $(date +%s.%N)" >>"$BENCH_OUT"
' <"$pairs"
