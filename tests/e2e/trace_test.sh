#!/usr/bin/env bash
# Trace mode (issue 16): for each class of run-time file that no static analysis sees
# (interpreter modules, dlopen'd libraries, data files, CA links, templates), a bundle built with
# --trace behaves under runc exactly like the same command on the host; the same bundle built
# without --trace does not, where the static closure really misses something. Then: a traced run
# changes nothing on the host (as root and as an unprivileged user), leaves nothing behind when
# ocitools is killed in the middle, and works rootless.
# $WORK (the cases' programs, scripts and libraries) lives outside the traced run's throwaway
# layers (/tmp, /var/tmp, /run, $HOME): were the kernel to refuse one of their overlays (then an
# empty tmpfs, with a warning; seen under load), the cases' own files would vanish from the run.
[ -d /srv ] && export TMPDIR=/srv
source "$(dirname "$0")/lib.sh"
need_root
command -v runc >/dev/null || { echo "skipped: runc not installed"; exit 77; }
for tool in /usr/bin/python3 /usr/bin/perl /usr/bin/date /usr/bin/iconv /usr/bin/file /usr/bin/gcc \
    /usr/bin/git /usr/bin/openssl /usr/bin/env /usr/bin/curl /usr/bin/nsenter; do
    [ -x "$tool" ] || { echo "skipped: $tool not installed"; exit 77; }
done
[ -e /usr/share/zoneinfo/Europe/Berlin ] || { echo "skipped: tzdata not installed"; exit 77; }
if ! unshare --user --map-root-user true 2>/dev/null; then
    echo "skipped: no user namespaces on this kernel (trace mode needs them)"
    exit 77
fi
SECONDS=0

# The environment every host run gets: the container's (PATH as ocitools sets it, nothing else),
# so that the host's own settings (a pyenv shim first in PATH, LANG, ~/.gitconfig) cannot make
# the two runs differ.
CONTAINER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
on_host() { env -i PATH="$CONTAINER_PATH" "$@"; }

B="$WORK/b"
mkdir -p "$B"
# build ARGS...: a build that must succeed; its warnings and notes are kept in $WORK/build.err.
build() {
    if ! "$OCITOOLS" build-container "$@" 2>"$WORK/build.err"; then
        fail "build-container $*: $(cat "$WORK/build.err")"
        return 1
    fi
}
run() { run_bundle "$1" 2>&1; }

# trace_case NAME EXPECTED CONTRAST [BUILD-FLAGS...] -- COMMAND...: build NAME with --trace and
# without; the traced bundle must print EXPECTED (the host's output); the untraced one must
# differ when CONTRAST is "differs" (the static closure misses a run-time file), and is not
# looked at when CONTRAST is "-" (static already works: nothing to contrast).
trace_case() {
    local name=$1 expected=$2 contrast=$3 out
    shift 3
    build -o "$B/$name" --trace "$@" || return 0
    check_bundle "$B/$name"
    out=$(run "$B/$name" || true)
    expect_eq "$name: traced bundle behaves like the host" "$expected" "$out"
    # What the build said (a refused overlay, a timeout) is what explains a failure here.
    [ "$out" == "$expected" ] || sed 's/^/  the build said: /' "$WORK/build.err" >&2
    if [ "$contrast" = differs ]; then
        build -o "$B/$name-static" "$@" || return 0
        out=$(run "$B/$name-static" || true)
        CHECKS=$((CHECKS + 1))
        if [ "$out" != "$expected" ]; then
            pass "$name: the untraced bundle does not (${out:0:80}...)"
        else
            fail "$name: the untraced bundle already behaves like the host: no contrast"
        fi
    fi
}

# --- 1. python3: stdlib modules (pure, C extensions with their libraries) and a venv ---
# The venv is made by a child python3 (`-m venv`, ensurepip included) in /tmp: a tmpfs in the
# container, the traced run's throwaway /tmp on the host; argv[1] names it, so that the host run
# writes beneath $WORK.
PY_CODE='import json, ssl, sqlite3, decimal, subprocess, sys, os
print(json.dumps({"k": [1, 2]}, sort_keys=True))
print(ssl.OPENSSL_VERSION, ssl.create_default_context().verify_mode)
db = sqlite3.connect(":memory:")
print(sqlite3.sqlite_version, db.execute("select 6 * 7").fetchone()[0])
print(decimal.Decimal(1) / decimal.Decimal(7))
v = sys.argv[1]
subprocess.run([sys.executable, "-m", "venv", v], check=True)
print(subprocess.run([v + "/bin/python3", "-c", "import sys, pip; print(sys.prefix != sys.base_prefix, pip.__name__)"],
                     check=True, capture_output=True, text=True).stdout.strip())'
mkdir -p "$WORK/pyhost"
trace_case python "$(on_host /usr/bin/python3 -c "$PY_CODE" "$WORK/pyhost/v")" differs \
    --mount type=tmpfs,source=tmpfs,destination=/tmp -- /usr/bin/python3 -c "$PY_CODE" /tmp/v

# --- 2. perl with an XS module ---
trace_case perl "$(on_host perl -MPOSIX -e 'print floor(2.5)')" differs \
    -- /usr/bin/perl -MPOSIX -e 'print floor(2.5)'

# --- 3. date reading a zoneinfo file named by TZ ---
trace_case date "$(on_host env TZ=Europe/Berlin date -d @0)" differs \
    --env TZ=Europe/Berlin -- /usr/bin/date -d @0

# --- 4. iconv: a gconv module dlopen'd by glibc ---
printf 'caf\xe9\n' >"$WORK/latin1.txt"
trace_case iconv "$(on_host iconv -f latin1 -t utf-8 "$WORK/latin1.txt")" differs \
    -- /usr/bin/iconv -f latin1 -t utf-8 "$WORK/latin1.txt"

# --- 5. file: libmagic's database ---
trace_case file "$(on_host file /bin/ls)" differs -- /usr/bin/file /bin/ls

# --- 6. a C program that dlopen()s a library by name ---
# By name, found through LD_LIBRARY_PATH (--env), in a directory no rpath names: the loader's
# search is what the tracer must follow. A full path would be a string in the program, which a
# static scan could in principle find; a bare name with the directory only in the environment
# is out of reach of any static analysis of the program.
mkdir -p "$WORK/plug"
cat >"$WORK/plug/plug.c" <<'C'
int traceplug_answer(void) { return 42; }
C
cat >"$WORK/plug/main.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
    void* h = dlopen("libtraceplug.so", RTLD_NOW);
    if (!h) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    int (*answer)(void) = (int (*)(void))dlsym(h, "traceplug_answer");
    printf("plugin says %d\n", answer());
    return 0;
}
C
gcc -shared -fPIC -o "$WORK/plug/lib/libtraceplug.so" "$WORK/plug/plug.c" 2>/dev/null ||
    { mkdir -p "$WORK/plug/lib" && gcc -shared -fPIC -o "$WORK/plug/lib/libtraceplug.so" "$WORK/plug/plug.c"; }
gcc -o "$WORK/plug/dlopener" "$WORK/plug/main.c" -ldl
trace_case dlopen "$(on_host env LD_LIBRARY_PATH="$WORK/plug/lib" "$WORK/plug/dlopener")" differs \
    --env LD_LIBRARY_PATH="$WORK/plug/lib" -- "$WORK/plug/dlopener"

# --- 7. git init then git commit: templates, the git-* helpers it execs ---
# A fixed identity and dates make the commit id the same everywhere; no global or system
# config is read on either side. The repository lives in $REPO_PARENT: /var/tmp, a tmpfs in the
# container (not /tmp, which would hide the script in $WORK) and a throwaway layer in the traced
# run; $WORK on the host.
cat >"$WORK/git.sh" <<'SH'
#!/bin/sh
set -e
cd "$REPO_PARENT"
git init -q repo
cd repo
echo hello >greeting
git add greeting
git -c user.name=Trace -c user.email=trace@example.org commit -q -m 'first commit'
git log --format='%H %an %s'
ls .git/hooks | head -n 3
SH
chmod 755 "$WORK/git.sh"
GIT_ENV=(GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_DATE='2000-01-01T00:00:00Z'
    GIT_COMMITTER_DATE='2000-01-01T00:00:00Z')
mkdir -p "$WORK/githost"
git_flags=()
for e in "${GIT_ENV[@]}"; do git_flags+=(--env "$e"); done
trace_case git "$(on_host "${GIT_ENV[@]}" REPO_PARENT="$WORK/githost" "$WORK/git.sh")" differs \
    --mount type=tmpfs,source=tmpfs,destination=/var/tmp --env REPO_PARENT=/var/tmp "${git_flags[@]}" \
    -- "$WORK/git.sh"

# --- 8. openssl verify against the system CA directory: the hashed symlinks ---
# A self-signed root of the system's store, verified as a leaf against the directory.
CA=$(readlink -f "$(ls /etc/ssl/certs/*.pem | head -n 1)")
cp "$CA" "$WORK/leaf.pem"
trace_case openssl "$(on_host openssl verify -CApath /etc/ssl/certs "$WORK/leaf.pem" 2>&1)" differs \
    -- /usr/bin/openssl verify -CApath /etc/ssl/certs "$WORK/leaf.pem"

# --- 9. #!/usr/bin/env python3 in a directory whose path has spaces ---
mkdir -p "$WORK/dir with spaces"
cat >"$WORK/dir with spaces/hello.py" <<'PY'
#!/usr/bin/env python3
import json, sys
print(json.dumps({"argv0": sys.argv[0].rsplit("/", 1)[-1], "args": sys.argv[1:]}))
PY
chmod 755 "$WORK/dir with spaces/hello.py"
trace_case spaces "$(on_host "$WORK/dir with spaces/hello.py" a 'b c')" differs \
    -- "$WORK/dir with spaces/hello.py" a 'b c'

# --- 10. a server that never exits: cut by the timeout, then serving from the bundle ---
# The traced run is killed after 2 s (a warning), the build succeeds with what it recorded. The
# bundle has its own network namespace (runc brings up its lo): the request is made from the
# host's curl inside that namespace (nsenter -n on the container's pid), which needs no client
# in the bundle and no change to its config. The served file, an --include, is the host's
# bytes, so the body must be those bytes.
mkdir -p "$WORK/www"
echo "served from the bundle" >"$WORK/www/hello.txt"
HTTP_PORT=8765
HTTP_CMD=(/usr/bin/python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1)
http_serve() {  # http_serve BUNDLE: run it detached, print the answer to GET /hello.txt
    local id="e2e-$$-http-${1##*/}" pid answer=""
    runc run -d --bundle "$1" "$id" </dev/null >"$WORK/$id.out" 2>&1 || return 0
    pid=$(runc state "$id" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
    for _ in $(seq 1 50); do
        answer=$(nsenter -t "$pid" -n curl -s -w ' %{http_code}' "http://127.0.0.1:$HTTP_PORT/hello.txt" 2>/dev/null) && break
        answer=""
        [ "$(runc state "$id" 2>/dev/null | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)" = running ] || break
        sleep 0.1
    done
    runc delete --force "$id" >/dev/null 2>&1 || true
    printf '%s' "$answer"
}
start=$SECONDS
if build -o "$B/http" --trace --trace-timeout 2 --cwd "$WORK/www" --include "$WORK/www/hello.txt" \
    -- "${HTTP_CMD[@]}"; then
    expect_contains "http: the build warns that the traced run was cut" \
        "did not end within 2 s (--trace-timeout) and was killed" "$(cat "$WORK/build.err")"
    check "http: the cut run took about the timeout ($((SECONDS - start)) s)" [ $((SECONDS - start)) -lt 10 ]
    check_bundle "$B/http"
    expect_eq "http: the traced bundle's server answers one request" \
        "$(printf '%s\n 200' "$(cat "$WORK/www/hello.txt")")" "$(http_serve "$B/http")"
fi
# Without --trace, python3 finds no standard library: no server ever answers.
if build -o "$B/http-static" --cwd "$WORK/www" --include "$WORK/www/hello.txt" -- "${HTTP_CMD[@]}"; then
    expect_eq "http: the untraced bundle's server does not answer" "" "$(http_serve "$B/http-static")"
fi
echo "acceptance cases: ${SECONDS}s"

# --- (a) A traced run leaves the host as it was: as root, then as an unprivileged user ---
# The very command of issue 16. /etc is a read-only bind in the run, /root (root's $HOME) and
# /tmp throwaway layers: none of the three changes may reach the host.
[ ! -e /etc/probe ] || fail "precondition: /etc/probe exists before the test"
[ ! -e /tmp/t ] || fail "precondition: /tmp/t exists before the test"
# What a broken build (a planted bug, tests/mutate) writes on the host is removed at the end,
# so that it cannot fail the next run's preconditions; a file that was there before is kept.
PROBES=()
for f in /etc/probe /tmp/t; do [ -e "$f" ] || PROBES+=("$f"); done
MADE_ROOT_KEEP=0
if [ ! -e /root/keep ]; then mkdir /root/keep && MADE_ROOT_KEEP=1; fi
echo kept >/root/keep/file-$$
e2e_cleanup_hook() {
    rm -f /root/keep/file-$$
    if [ "$MADE_ROOT_KEEP" = 1 ]; then rmdir /root/keep 2>/dev/null || true; fi
    rm -f "/tmp/$KILL_MARK" 2>/dev/null || true
    rm -f "${PROBES[@]}"
}
MOUNTS_BEFORE=$(cut -d' ' -f5,9- /proc/self/mountinfo | sort)
HOST_CMD='echo x > /etc/probe; rm -rf /root/keep; touch /tmp/t'
if HOME=/root "$OCITOOLS" closure --trace -- /bin/sh -c "$HOST_CMD" >"$WORK/closure.out" 2>"$WORK/closure.err"; then
    expect_contains "host unchanged (root): the traced sh was recorded" /bin/sh "$(cat "$WORK/closure.out")"
else
    fail "closure --trace as root: $(cat "$WORK/closure.err")"
fi
check "host unchanged (root): no /etc/probe" [ ! -e /etc/probe ]
check "host unchanged (root): /root/keep intact" [ "$(cat /root/keep/file-$$ 2>/dev/null)" = kept ]
check "host unchanged (root): no /tmp/t" [ ! -e /tmp/t ]

setup_rootless_user
USER_HOME=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
as_user mkdir -p "$RL/keep" "$USER_HOME/keep"
as_user sh -c "echo kept > '$RL/keep/f'; echo kept > '$USER_HOME/keep/f'"
USER_CMD="echo x > /etc/probe; echo x > '$USER_HOME/probe'; rm -rf '$USER_HOME/keep' '$RL/keep'; touch /tmp/t"
if (cd "$RL" && as_user env HOME="$USER_HOME" "$RL_OCITOOLS" closure --trace -- /bin/sh -c "$USER_CMD") \
    >"$WORK/closure.out" 2>"$WORK/closure.err"; then
    expect_contains "host unchanged (user): the traced sh was recorded" /bin/sh "$(cat "$WORK/closure.out")"
else
    fail "closure --trace as $ROOTLESS_USER: $(cat "$WORK/closure.err")"
fi
check "host unchanged (user): no /etc/probe" [ ! -e /etc/probe ]
check "host unchanged (user): no probe in the home directory" [ ! -e "$USER_HOME/probe" ]
check "host unchanged (user): the home's keep dir intact" [ "$(cat "$USER_HOME/keep/f" 2>/dev/null)" = kept ]
check "host unchanged (user): a keep dir of the user's outside home intact" [ "$(cat "$RL/keep/f" 2>/dev/null)" = kept ]
check "host unchanged (user): no /tmp/t" [ ! -e /tmp/t ]
as_user rm -rf "$USER_HOME/keep"
expect_eq "host unchanged: no mount added or removed" "$MOUNTS_BEFORE" "$(cut -d' ' -f5,9- /proc/self/mountinfo | sort)"

# --- (c) Rootless: a traced build and run as the unprivileged user ---
rl_build() { as_user "$RL_OCITOOLS" build-container "$@" 2>"$WORK/build.err" || fail "rootless build-container $*: $(cat "$WORK/build.err")"; }
rl_build -o "$RL/date" --trace --env TZ=Europe/Berlin -- /usr/bin/date -d @0
check_bundle "$RL/date"
expect_eq "rootless: traced date behaves like the host" "$(on_host env TZ=Europe/Berlin date -d @0)" \
    "$(run_bundle_rootless "$RL/date" 2>&1)"
rl_build -o "$RL/perl" --trace -- /usr/bin/perl -MPOSIX -e 'print floor(2.5)'
expect_eq "rootless: traced perl -MPOSIX behaves like the host" "$(on_host perl -MPOSIX -e 'print floor(2.5)')" \
    "$(run_bundle_rootless "$RL/perl" 2>&1)"
echo "host and rootless: ${SECONDS}s"

# --- (b) Nothing left behind: 20 traced builds killed at random points ---
# The traced command forks a tree of sleepers (a copy of sleep whose name is the marker, so
# every one of them shows it) and writes in /tmp; builds are killed after 0 to 1.5 s, with
# SIGKILL and SIGTERM in turn (the traced run is cut at 1 s, so late kills land in the copy or
# the publish). All target the same output: a SIGKILLed build's temporary cannot be removed by
# itself, and is removed by the next build (bundle/temp_dir.h); a SIGTERMed build removes its
# own.
KILL_MARK="e2e-trace-kill-$$"
mkdir -p "$WORK/kill"
cp /bin/sleep "$WORK/kill/$KILL_MARK"
# Other programs on the machine come and go in /tmp: what could be ours is named so.
ours_in_tmp() { ls -A /tmp | grep -e ocitools -e "$KILL_MARK" | grep -v '^ocitools-e2e\.' | sort || true; }
TMP_BEFORE=$(ours_in_tmp)
MOUNTS_BEFORE=$(cut -d' ' -f5,9- /proc/self/mountinfo | sort)
KILL_CMD=(/bin/sh -c '"$1" 30 & (sh -c "\"$1\" 30 & \"$1\" 30") & touch "/tmp/${1##*/}"; "$1" 30' sh "$WORK/kill/$KILL_MARK")
temporaries() { compgen -G "$WORK/kill/.b.ocitools-tmp-*" || true; }
strays() { pgrep -f "$KILL_MARK" || true; }
late=0
for i in $(seq 1 20); do
    signal=KILL
    [ $((i % 2)) -eq 0 ] && signal=TERM
    delay=$(( RANDOM % 1500 ))
    "$OCITOOLS" build-container -o "$WORK/kill/b" --force --trace --trace-timeout 1 -- "${KILL_CMD[@]}" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -s "$signal" "$pid" 2>/dev/null || late=$((late + 1))
    wait "$pid" 2>/dev/null || true
    left=""
    for _ in $(seq 1 30); do
        left=$(strays)
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$left" ] || fail "kill $i (SIG$signal after ${delay} ms): processes left: $(ps -o pid,stat,args -p "$(echo $left | tr ' ' ,)" 2>&1)"
    if [ "$signal" = TERM ] && temporaries | grep -q -- "-tmp-$pid-"; then
        fail "kill $i (SIGTERM after ${delay} ms): its temporary is left: $(temporaries)"
    fi
done
echo "kills: 20, of which $late landed after the build had ended"
CHECKS=$((CHECKS + 1)); pass "20 killed traced builds: no process left"
# One last build (uncut) removes the SIGKILLed builds' temporaries.
"$OCITOOLS" build-container -o "$WORK/kill/b" --force -- /bin/true 2>/dev/null || fail "the last build failed"
expect_eq "killed builds: no temporary beside the output" "" "$(temporaries)"
expect_eq "killed builds: no mount added or removed" "$MOUNTS_BEFORE" "$(cut -d' ' -f5,9- /proc/self/mountinfo | sort)"
check "killed builds: the traced runs' /tmp file never reached the host" [ ! -e "/tmp/$KILL_MARK" ]
expect_eq "killed builds: nothing of ours new in /tmp" "$TMP_BEFORE" "$(ours_in_tmp)"
expect_eq "killed builds: nothing beside the output" "b $KILL_MARK" "$(ls -A "$WORK/kill" | sort | xargs)"

echo "total: ${SECONDS}s"
finish
