#!/usr/bin/env bash
# Keep a server up: run COMMAND, and start it again whenever it exits without being asked to stop
# (granian's master gives up after workers crash twice in a row: "Worker crash loop detected").
# SIGTERM or SIGINT stop the server and this loop. `make run` uses it; on an intranet server the
# systemd unit in deploy/systemd/ does the same job (Restart=always), in Docker the compose file's
# restart policy.
#
#   scripts/supervise.sh COMMAND [ARGS…]      PID_FILE (optional): where this loop writes its pid
set -u
[ $# -ge 1 ] || { echo "usage: scripts/supervise.sh COMMAND [ARGS…]" >&2; exit 2; }
[ -n "${PID_FILE:-}" ] && echo $$ > "$PID_FILE"
unset PID_FILE  # (the server itself writes none)
child=0
stopping=0
stop() {
  stopping=1
  [ "$child" -gt 0 ] || exit 0
  kill -TERM "$child" 2>/dev/null
  ( sleep 10; kill -KILL -- "-$child" 2>/dev/null ) &  # a server that does not stop in 10 s is killed
}
trap stop TERM INT
restarts=0
while :; do
  # In a process group of its own: a master killed outright leaves its workers running, still
  # holding the port; they go with the group before the next start.
  setsid "$@" &
  child=$!
  wait "$child"; code=$?
  # `wait` returns early when a signal arrives; wait again for the server to finish stopping
  while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
  kill -KILL -- "-$child" 2>/dev/null
  [ "$stopping" = 1 ] && exit 0
  restarts=$((restarts + 1))
  echo "supervise.sh: server exited with $code; starting it again (restart $restarts)" >&2
  sleep 1 & wait $!  # (interruptible: a stop request during the pause is not lost)
  [ "$stopping" = 1 ] && exit 0
done
