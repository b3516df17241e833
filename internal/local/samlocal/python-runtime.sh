#!/bin/sh
# djfront's stand-in for the bootstrap of Lambda's managed Python runtime
# (/var/runtime/bootstrap), written by samlocal's Host.Prepare with the
# project's interpreter in place of /var/lang/bin/python3.X. As Lambda's, it
# runs the function in its task root and, when AWS_LAMBDA_EXEC_WRAPPER is
# set, checks the wrapper and runs it with the runtime client's command as
# its arguments; on Lambda that is
#
#   exec -- "$AWS_LAMBDA_EXEC_WRAPPER" /var/lang/bin/python3.12 /var/runtime/bootstrap.py
#
# Without a wrapper it runs the runtime client itself: awslambdaric (what
# Lambda's bootstrap.py is) with the handler _HANDLER names.
python=@PYTHON@
cd "$LAMBDA_TASK_ROOT" || exit 127
wrapper=$AWS_LAMBDA_EXEC_WRAPPER
if [ -z "$wrapper" ]; then
  exec "$python" -m awslambdaric "$_HANDLER"
fi
if [ ! -f "$wrapper" ]; then
  echo "$wrapper: does not exist" >&2
  exit 127
fi
if [ ! -x "$wrapper" ]; then
  echo "$wrapper: is not an executable" >&2
  exit 126
fi
exec "$wrapper" "$python" -m awslambdaric "$_HANDLER"
