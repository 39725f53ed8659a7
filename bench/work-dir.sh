# Sourced by the bench scripts: a temporary work dir ($work) and the processes they start in
# the background (each pid appended to `pids`), stopped and removed on exit, Ctrl-C included.
# A script with more to undo defines `undo_more` after sourcing this.
work=$(mktemp -d)
pids=()
undo_more() { :; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  undo_more
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
