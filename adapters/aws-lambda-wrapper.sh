#!/bin/bash
# AWS Lambda exec wrapper (AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-wrapper.sh): the Node runtime
# starts with --max-semi-space-size = memory / 20 MB (6 MB at 128 MB), a young generation of up to
# 18 MB that a 128 MB tiles function cannot spare. This rewrites that one flag to
# TAOGUAN_SEMI_SPACE_MB (default 1) and runs the runtime's own command otherwise unchanged.
args=()
for a in "$@"; do
  case "$a" in
    --max-semi-space-size=*) args+=("--max-semi-space-size=${TAOGUAN_SEMI_SPACE_MB:-1}") ;;
    *) args+=("$a") ;;
  esac
done
exec "${args[@]}"
