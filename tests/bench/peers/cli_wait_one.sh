#!/usr/bin/env bash
# One instance of the AWS CLI peer (see cli_wait.sh): wait, then note the exit code and the moment.
#
# Usage: cli_wait_one.sh ENDPOINT OUT_FILE COMMAND_ID INSTANCE_ID
set -uo pipefail
endpoint=$1 out=$2 command_id=$3 instance_id=$4
aws ssm wait command-executed --endpoint-url "$endpoint" --region us-east-1 \
  --command-id "$command_id" --instance-id "$instance_id" >/dev/null 2>&1
code=$?
echo "$command_id $instance_id $code $(date +%s.%N)" >>"$out"
