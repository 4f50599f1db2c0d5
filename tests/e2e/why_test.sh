#!/usr/bin/env bash
# `ocitools closure --why` on a real program: the paths of the plain output and the directories
# above them, each with the first reason it entered.
source "$(dirname "$0")/lib.sh"

why=$("$OCITOOLS" closure --why -- /bin/ls)
plain=$("$OCITOOLS" closure -- /bin/ls)
libc=$(printf '%s\n' "$why" | grep -P '/libc\.so\.6\t' || true)
expect_contains "libc came as a DT_NEEDED" $'\tDT_NEEDED of ' "$libc"
expect_contains "the program is the root" "$(realpath /bin/ls)"$'\troot' "$why"
expect_contains "the interpreter" $'\tELF interpreter of ' "$why"
expect_eq "every path of the plain output has a reason" "$plain" \
    "$(printf '%s\n' "$why" | cut -f1 | grep -Fx -f <(printf '%s\n' "$plain"))"
expect_eq "the lines are sorted by path" "$(printf '%s\n' "$why" | cut -f1)" \
    "$(printf '%s\n' "$why" | cut -f1 | LC_ALL=C sort)"

# A traced run's files say which call and which program brought them.
traced=$("$OCITOOLS" closure --why --trace -- /bin/sh -c 'cat /etc/hostname >/dev/null')
expect_eq "a file the run opened" "/etc/hostname"$'\t'"traced: openat by /usr/bin/cat" \
    "$(printf '%s\n' "$traced" | grep -P '^/etc/hostname\t')"

finish
