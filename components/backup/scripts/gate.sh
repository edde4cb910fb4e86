#!/usr/bin/env bash
# Managed by k3s-onprem; changes here are overwritten.
# Forced command of one server's backup key on the backup host
# (authorized_keys: command="backup-gate KEEP DIR",restrict). The key can do
# exactly this and nothing else:
#   rsync --server ...           write into DIR through rrsync: no deletes,
#                                no overwrites, nothing outside DIR
#   rsync --server --sender ...  read from DIR through rrsync (restore)
#   latest                       print the newest verified run
#   list                         print the verified runs, oldest first
#   finish RUN                   verify RUN's SHA256SUMS, then point latest
#                                at it and keep only the newest KEEP runs
set -euo pipefail
umask 077
export LC_ALL=C

keep="${1:?usage: backup-gate KEEP DIR}"
dir="${2:?usage: backup-gate KEEP DIR}"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || { echo "backup-gate: bad KEEP $keep" >&2; exit 2; }
cd "$dir"
cmd="${SSH_ORIGINAL_COMMAND:-}"
run_re='^[0-9]{8}T[0-9]{6}Z$'

refuse() { echo "backup-gate: refused: $*" >&2; exit 126; }

verified_runs() { # oldest first
	local r
	[ -d .verified ] || return 0
	for r in .verified/*; do
		r="${r#.verified/}"
		[[ "$r" =~ $run_re ]] && [ -d "$r" ] && [ ! -L "$r" ] && echo "$r"
	done | sort
}

latest() {
	local r
	r="$(readlink latest 2>/dev/null || true)"
	if [[ "$r" =~ $run_re ]] && [ -e ".verified/$r" ]; then echo "$r"; fi
}

# finish RUN: the run is promoted only when every file in its SHA256SUMS
# (written by the server before the transfer) has that content here.
finish() {
	local run="$1" r oldest n
	[[ "$run" =~ $run_re ]] || refuse "run name $run"
	[ -d "$run" ] && [ ! -L "$run" ] || refuse "no run $run"
	[ -f "$run/SHA256SUMS" ] && [ ! -L "$run/SHA256SUMS" ] || { echo "backup-gate: $run has no SHA256SUMS" >&2; exit 1; }
	# Every listed path is ./relative without "..": sha256sum must not read
	# outside the run.
	if grep -Evq '^[0-9a-f]{64}  \./[^/]' "$run/SHA256SUMS" || grep -q '/\.\./\|/\.\.$' "$run/SHA256SUMS"; then
		echo "backup-gate: $run/SHA256SUMS has a line that is not a relative path" >&2
		exit 1
	fi
	if ! (cd "$run" && sha256sum --quiet --strict -c SHA256SUMS >&2); then
		echo "backup-gate: $run does not match its SHA256SUMS; latest stays $(latest)" >&2
		exit 1
	fi
	install -d -m 0700 .verified
	: >".verified/$run"
	ln -sfn "$run" .latest.new
	mv -Tf .latest.new latest
	# Keep the newest KEEP verified runs and anything newer than the newest
	# (none, unless a clock went back); remove older runs, verified or not.
	n="$(verified_runs | wc -l)"
	oldest="$(verified_runs | tail -n "$keep" | head -n 1)"
	for r in *; do
		[[ "$r" =~ $run_re ]] || continue
		if [[ "$r" < "$oldest" ]]; then
			rm -rf -- "$r" ".verified/$r"
			echo "pruned $r" >&2
		fi
	done
	echo "verified $run ($(($(wc -l <"$run/SHA256SUMS"))) files); latest -> $run; $((n < keep ? n : keep)) runs kept"
}

case "$cmd" in
"rsync --server --sender "*) exec rrsync -ro "$dir" ;;
"rsync --server "*) exec rrsync -wo -no-del -no-overwrite "$dir" ;;
latest) latest ;;
list) verified_runs ;;
"finish "*) finish "${cmd#finish }" ;;
*) refuse "${cmd:-an interactive session}" ;;
esac
