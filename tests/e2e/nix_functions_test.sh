#!/usr/bin/env bash
# The Nix functions (nix/default.nix) end to end, with Debian's nix-bin: ocitools itself is put
# into the store (`nix-store --add` of a directory holding the binary), and the seed's own call,
# `buildContainer { args; mounts; readonly; }`, is nix-built over the test store
# (tests/nix/store.nix). Its output must hold exactly `nix-store -qR` of the app, run under runc,
# carry the config.json that `ocitools build-container` writes for the same spec, and not be
# rebuilt by a second nix-build. Then a #! script written by a tiny derivation (the seed's
# writeScript shape), the sandbox on, and buildImage's OCI layout, unpacked by umoci and run by
# runc.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nix_lib.sh"
need_root
unset NIX_STORE_DIR NIX_STATE_DIR NIX_LOG_DIR
build_test_store
REPO=$(cd "$(dirname "$0")/../.." && pwd)

# ocitools in the store, as a Nix user's overlay would put it there (nix/package.nix).
mkdir -p "$WORK/ocitools-bin/bin"
cp "$OCITOOLS" "$WORK/ocitools-bin/bin/ocitools"
OC=$(nix-store --add "$WORK/ocitools-bin")
pass "ocitools added to the store: $OC"

# nix_build EXPR: nix-build the expression with `oci` (the functions), `app`, `bash` and
# `busybox` in scope; prints the output path; the log goes to $WORK/nix-build.log.
nix_build() {
    nix-build --no-out-link --option build-users-group "" --option sandbox false \
        --option substituters "" -E "
        let oci = import $REPO/nix { ocitools = builtins.storePath \"$OC\"; };
            app = builtins.storePath \"$app\";
            bash = builtins.storePath \"$bash\";
            busybox = builtins.storePath \"$busybox\";
        in $1" 2>"$WORK/nix-build.log"
}
# nix_eval EXPR: the same scope, the value as JSON.
nix_eval() {
    nix-instantiate --eval --strict --json -E "
        let oci = import $REPO/nix { ocitools = builtins.storePath \"$OC\"; };
            app = builtins.storePath \"$app\";
        in $1"
}

SEED_CALL='oci.buildContainer {
    args = [ "${app}/bin/hello" ];
    mounts = { "/data" = { type = "bind"; source = "/srv"; options = [ "ro" ]; }; };
    readonly = true;
  }'
if ! out=$(nix_build "$SEED_CALL"); then
    fail "nix-build of buildContainer failed: $(tail -5 "$WORK/nix-build.log")"
    finish
    exit 1
fi
pass "nix-build of the seed's buildContainer call: $out"
expect_eq "the output is a bundle" "config.json rootfs" "$(ls -A "$out" | xargs)"
expect_eq "rootfs/nix/store holds exactly nix-store -qR of the app" \
    "$(nix-store -qR "$app" | xargs -n1 basename | sort)" "$(ls -A "$out/rootfs/nix/store" | sort)"
check "the build-time-only helper is not in the bundle" test ! -e "$out/rootfs$helper"
check "the mount point of /data is in the rootfs" test -d "$out/rootfs/data"

# runc needs a writable bundle directory tree for its own mount points: run a copy.
cp -a "$out" "$WORK/bundle"
chmod -R u+w "$WORK/bundle"
check_bundle "$WORK/bundle"
expect_eq "runc runs the Nix-built bundle" "$APP_OUTPUT" "$(run_bundle "$WORK/bundle" 2>&1)"
expect_eq "the mount is read-only, from /srv, and the root read-only" "true /srv true" \
    "$(config_get "$out" '" ".join([str(c["root"]["readonly"]).lower(), [m for m in c["mounts"] if m["destination"] == "/data"][0]["source"], str("ro" in [m for m in c["mounts"] if m["destination"] == "/data"][0]["options"]).lower()])')"

# config.json equals what build-container writes for the same spec (the derivation's `spec`).
nix_eval "($SEED_CALL).spec" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin))' \
    >"$WORK/spec.json"
if "$OCITOOLS" build-container --spec "$WORK/spec.json" -o "$WORK/direct" 2>"$WORK/direct.err"; then
    check "config.json equals build-container's for the same spec, byte for byte" \
        cmp "$out/config.json" "$WORK/direct/config.json"
else
    fail "build-container --spec of the derivation's spec: $(cat "$WORK/direct.err")"
fi

# A second nix-build of the same expression builds nothing and gives the same path.
if again=$(nix_build "$SEED_CALL"); then
    expect_eq "a second nix-build gives the same output path" "$out" "$again"
    check "a second nix-build builds nothing" bash -c "! grep -q 'building' '$WORK/nix-build.log'"
else
    fail "second nix-build failed: $(tail -5 "$WORK/nix-build.log")"
fi

# With the sandbox on, the build sees only its inputs in the store (and no Nix database): the
# closure must come out the same. The host's library directories are made visible for the
# builder alone (this ocitools is linked against Debian's libraries, not the store's).
SANDBOX_CALL='oci.buildContainer { name = "sandboxed"; args = [ "${app}/bin/hello" ]; }'
if boxed=$(nix-build --no-out-link --option build-users-group "" --option sandbox true \
        --option sandbox-paths "/usr /lib /lib64 /bin" --option substituters "" -E "
        let oci = import $REPO/nix { ocitools = builtins.storePath \"$OC\"; };
            app = builtins.storePath \"$app\";
        in $SANDBOX_CALL" 2>"$WORK/nix-build.log"); then
    expect_eq "with the sandbox on, rootfs/nix/store is still nix-store -qR of the app" \
        "$(nix-store -qR "$app" | xargs -n1 basename | sort)" \
        "$(ls -A "$boxed/rootfs/nix/store" | sort)"
else
    fail "nix-build with the sandbox on failed: $(tail -5 "$WORK/nix-build.log")"
fi

# The seed's example shape: an executable #! script in the store naming a store bash (nixpkgs'
# writeScript, here a tiny derivation).
SCRIPT_CALL='let script = derivation {
      name = "hello-script"; system = builtins.currentSystem; builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      args = [ "-c" "printf \"#!%s\\n%s\\n\" ${bash}/bin/bash \"echo script says \\$((6*7))\" > $out; chmod 555 $out" ];
    };
  in oci.buildContainer { args = [ "${script}" ]; }'
if out2=$(nix_build "$SCRIPT_CALL"); then
    cp -a "$out2" "$WORK/script-bundle"
    chmod -R u+w "$WORK/script-bundle"
    expect_eq "a writeScript-style #! script runs" "script says 42" \
        "$(run_bundle "$WORK/script-bundle" 2>&1)"
    check "its store bash is in the rootfs" test -x "$out2/rootfs$bash/bin/bash"
else
    fail "nix-build of the script's buildContainer failed: $(tail -5 "$WORK/nix-build.log")"
fi

# buildImage: an OCI image layout, tagged name:tag, that umoci unpacks and runc runs.
IMAGE_CALL='oci.buildImage { args = [ "${app}/bin/hello" ]; name = "hello"; tag = "1.0"; }'
if img=$(nix_build "$IMAGE_CALL"); then
    expect_eq "buildImage's output is an image layout" "blobs index.json oci-layout" \
        "$(ls -A "$img" | xargs)"
    expect_contains "it is tagged hello:1.0" '"org.opencontainers.image.ref.name":"hello:1.0"' \
        "$(cat "$img/index.json")"
    if command -v umoci >/dev/null; then
        if umoci unpack --image "$img:hello:1.0" "$WORK/unpacked" >"$WORK/umoci.log" 2>&1; then
            # umoci's config asks for a terminal; the test has none.
            sed -i 's/"terminal": *true/"terminal": false/' "$WORK/unpacked/config.json"
            expect_eq "umoci unpacks buildImage's image and runc runs it" "$APP_OUTPUT" \
                "$(run_bundle "$WORK/unpacked" 2>&1)"
        else
            fail "umoci unpack: $(tail -3 "$WORK/umoci.log")"
        fi
    else
        fail "umoci is not installed (in .ci/packages)"
    fi
    # compressionLevel reaches the layers: other blobs for the same tars.
    FAST_CALL='oci.buildImage { args = [ "${app}/bin/hello" ]; name = "hello"; tag = "1.0"; compressionLevel = 1; }'
    if fast=$(nix_build "$FAST_CALL"); then
        layers() {
            /usr/bin/python3 -c 'import json, sys
d = sys.argv[1] + "/blobs/sha256/"
m = json.load(open(d + json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]["digest"][7:]))
c = json.load(open(d + m["config"]["digest"][7:]))
print(c["rootfs"]["diff_ids"], [l["digest"] for l in m["layers"]])' "$1"
        }
        default_layers=$(layers "$img") fast_layers=$(layers "$fast")
        expect_eq "compressionLevel = 1: the same diff_ids" "${default_layers%%]*}" "${fast_layers%%]*}"
        check "compressionLevel = 1: other layer blobs" test "${default_layers#*]}" != "${fast_layers#*]}"
    else
        fail "nix-build of buildImage with compressionLevel failed: $(tail -5 "$WORK/nix-build.log")"
    fi
else
    fail "nix-build of buildImage failed: $(tail -5 "$WORK/nix-build.log")"
fi

# nix/package.nix, a callPackage-able derivation for ocitools, parses (nixpkgs is not here).
check "nix/package.nix parses" bash -c "nix-instantiate --parse '$REPO/nix/package.nix' >/dev/null"
finish
