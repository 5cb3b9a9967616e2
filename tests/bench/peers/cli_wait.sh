#!/usr/bin/env bash
# The AWS CLI peer: `aws ssm wait command-executed` per instance, 10 at a time (xargs -P 10), with
# the CLI's documented defaults (GetCommandInvocation every 5 s, 20 attempts, exit 255 on a failed
# invocation or when it gives up). Each wait appends "command instance exit-code epoch-seconds".
#
# Usage: cli_wait.sh ENDPOINT PAIRS_FILE OUT_FILE   (PAIRS_FILE: "command-id instance-id" lines)
set -euo pipefail
endpoint=$1 pairs=$2 out=$3
: >"$out"
xargs -P 10 -L 1 "$(dirname "$0")/cli_wait_one.sh" "$endpoint" "$out" <"$pairs"
