# Shell functions for tests that speak the Test Anything Protocol.
#
# Source this file from a POSIX sh test script, then call plan first:
#
#	. "$top_srcdir/tests/tap/libtap.sh"
#	plan 3
#	ok "true works" true
#	is "a" "$(printf a)" "printf prints"
#	is_status 1 "false fails" false
#
# The vocabulary is that of tests/tap/basic.h: plan, ok, is (strings),
# is_status (exit status), skip, skip_block, diag, bail.  Result lines go
# to standard output; diagnostics go to standard error, which the TAP
# driver keeps in the log.  At exit, a count that does not match the plan
# or a failed test makes the script exit 1.
#
# Sourcing this file also sets up two things for the whole script:
#
# A private directory.  $tap_dir is a new directory under /dev/shm for
# the test's scratch files, and SHMCONC_DIR is exported as a directory in
# it, so that objects never collide with other tests or users.  Both are
# removed at exit.
#
# A watchdog.  A background subshell waits $TAP_TIMEOUT seconds (120 by
# default), then reports "Bail out!" and sends SIGTERM to the script, and
# SIGKILL five seconds later.  The exit trap kills it, and it ends by
# itself within a second of the script, so that no process outlives the
# test holding its output open.  A shell runs its SIGTERM trap only after
# the foreground command has finished, so the watchdog cannot end a hung
# foreground command: bound every command that may block with its own
# timeout (shmvar -w), and leave the watchdog for the rest.
#
# Copyright 2026 The shmconc developers.
# SPDX-License-Identifier: MIT

tap_planned=0
tap_run=0
tap_failed=0
tap_watchdog=
TAP_TIMEOUT=${TAP_TIMEOUT:-120}
tap_nl='
'

# The captured output of the last is_status command.
tap_out=
tap_err=

# Print "1..N" and remember N.
plan() {
	tap_planned=$1
	echo "1..$1"
}

# Report a result: tap_result STATUS DESCRIPTION.  A newline in the
# description would end the TAP line, so it becomes a space.
tap_result() {
	tap_run=$((tap_run + 1))
	tap_d=$2
	case $tap_d in
	*"$tap_nl"*)
		tap_d=$(printf '%s' "$tap_d" | tr '\n' ' ')
		;;
	esac
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_run - $tap_d"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_run - $tap_d"
	fi
}

# ok DESCRIPTION COMMAND [ARG...]: pass if the command exits 0.  Its
# standard output goes to standard error, out of the TAP stream.
ok() {
	tap_desc=$1
	shift
	"$@" >&2
	tap_result $? "$tap_desc"
}

# is WANT GOT DESCRIPTION: pass if the two strings are equal.
is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		diag "wanted: '$1'"
		diag "   got: '$2'"
	fi
}

# is_status WANT DESCRIPTION COMMAND [ARG...]: pass if the command exits
# with status WANT.  Its standard output and error are kept in the files
# named by $tap_out and $tap_err until the next is_status.
is_status() {
	tap_want=$1
	tap_desc=$2
	shift 2
	"$@" >"$tap_out" 2>"$tap_err"
	tap_got=$?
	if [ "$tap_got" -eq "$tap_want" ]; then
		tap_result 0 "$tap_desc"
	else
		tap_result 1 "$tap_desc"
		diag "wanted status $tap_want, got $tap_got"
		sed 's/^/stderr: /' "$tap_err" >&2
	fi
}

# skip REASON: report one skipped test.
skip() {
	tap_run=$((tap_run + 1))
	echo "ok $tap_run # skip $1"
}

# skip_block COUNT REASON: report COUNT skipped tests.
skip_block() {
	tap_n=$1
	while [ "$tap_n" -gt 0 ]; do
		skip "$2"
		tap_n=$((tap_n - 1))
	done
}

# diag MESSAGE...: a diagnostic line on standard error.
diag() {
	echo "# $*" >&2
}

# bail MESSAGE...: abort the whole test.
bail() {
	echo "Bail out! $*"
	tap_planned=-1
	exit 255
}

# Run at exit: stop the watchdog, remove the shm directory, and turn a
# count mismatch or a failure into exit status 1.
tap_finish() {
	tap_status=$?
	if [ -n "$tap_watchdog" ]; then
		kill -TERM "$tap_watchdog" 2>/dev/null
	fi
	if [ -n "$tap_dir" ]; then
		rm -rf "$tap_dir"
	fi
	[ "$tap_planned" -lt 0 ] && exit 255
	if [ "$tap_run" -ne "$tap_planned" ]; then
		diag "Looks like you planned $tap_planned tests" \
		    "but ran $tap_run"
		exit 1
	fi
	if [ "$tap_failed" -gt 0 ]; then
		diag "Looks like you failed $tap_failed of $tap_run tests"
		exit 1
	fi
	exit "$tap_status"
}

trap tap_finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

tap_dir=$(mktemp -d /dev/shm/shmconc-sh.XXXXXX) ||
    bail "cannot create a directory in /dev/shm"
SHMCONC_DIR=$tap_dir/shm
mkdir "$SHMCONC_DIR" || bail "cannot create $SHMCONC_DIR"
export SHMCONC_DIR
tap_out=$tap_dir/out
tap_err=$tap_dir/err

# The watchdog.  A subshell keeps the script's traps until it resets
# them, and dash ignores a trapped signal for which the subshell has no
# command, so it starts by letting SIGTERM kill it.  It also polls once a
# second, so that it ends within a second of the script if the SIGTERM
# from tap_finish came too early.  $$ is the test script, even in here.
(
	trap - TERM
	tap_n=0
	while [ "$tap_n" -lt "$TAP_TIMEOUT" ]; do
		sleep 1 >/dev/null 2>&1
		kill -0 $$ 2>/dev/null || exit 0
		tap_n=$((tap_n + 1))
	done
	echo "Bail out! timed out after $TAP_TIMEOUT seconds"
	kill -TERM $$
	sleep 5 >/dev/null 2>&1
	kill -KILL $$ 2>/dev/null
) </dev/null &
tap_watchdog=$!
