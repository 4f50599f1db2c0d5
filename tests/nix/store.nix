# A small Nix store for the tests, built without nixpkgs (none is available offline): each
# builder is the host's /bin/sh (the sandbox is off), copies host binaries into $out and patches
# them with patchelf so that they load only from the store (PT_INTERP and DT_RUNPATH inside it).
#
#   glibc    ld.so and libc.so.6
#   tinfo    libtinfo.so.6, RUNPATH -> glibc
#   bash     bin/bash (interpreter and RUNPATH in the store), bin/sh -> bash, bin/rbash a hard link
#   busybox  a static busybox: no references
#   motd     a text file, referenced by app only through a symlink target
#   banner   a text file, referenced by app only through a file name
#   helper   used while building app, absent from its output: must stay out of every closure
#   app      bin/hello, a #! script run by bash calling busybox; share/motd -> motd
#
# `nix-build tests/nix/store.nix -A app` builds one; the attribute set lists them all.
let
  mk = name: script:
    derivation {
      inherit name;
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [ "-e" "-c" script ];
      PATH = "/usr/bin:/bin";
    };

  # The host's dynamic loader and libc, as bash loads them.
  glibc = mk "glibc-host" ''
    interp=$(patchelf --print-interpreter /bin/bash)
    libc=$(ldd /bin/bash | sed -n 's/^[[:space:]]*libc\.so\.6 => \([^ ]*\) .*/\1/p')
    mkdir -p $out/lib
    cp -L "$interp" $out/lib/$(basename "$interp")
    cp -L "$libc" $out/lib/libc.so.6
    chmod u+w $out/lib/*
  '';

  tinfo = mk "tinfo-host" ''
    lib=$(ldd /bin/bash | sed -n 's/^[[:space:]]*libtinfo\.so\.6 => \([^ ]*\) .*/\1/p')
    mkdir -p $out/lib
    cp -L "$lib" $out/lib/libtinfo.so.6
    chmod u+w $out/lib/libtinfo.so.6
    patchelf --set-rpath ${glibc}/lib $out/lib/libtinfo.so.6
  '';

  bash = mk "bash-host" ''
    interp=$(patchelf --print-interpreter /bin/bash)
    mkdir -p $out/bin
    cp /bin/bash $out/bin/bash
    chmod u+w $out/bin/bash
    patchelf --set-interpreter ${glibc}/lib/$(basename "$interp") \
             --set-rpath ${tinfo}/lib:${glibc}/lib $out/bin/bash
    ln -s bash $out/bin/sh
    ln $out/bin/bash $out/bin/rbash
  '';

  busybox = mk "busybox-static-host" ''
    mkdir -p $out/bin
    cp /bin/busybox $out/bin/busybox
  '';

  motd = mk "motd" ''
    mkdir -p $out/etc
    echo "motd through a symlink into another store path" > $out/etc/motd
  '';

  banner = mk "banner" ''
    echo "a store path referenced only by a file name" > $out
  '';

  helper = mk "build-time-helper" ''
    mkdir -p $out
    echo "hello from the store" > $out/greeting
  '';

  app = mk "hello-app" ''
    greeting=$(cat ${helper}/greeting)
    mkdir -p $out/bin $out/share/refs
    ln -s ${motd}/etc/motd $out/share/motd
    : > $out/share/refs/$(basename ${banner})
    cat > $out/bin/hello <<SCRIPT
    #!${bash}/bin/bash
    ${busybox}/bin/busybox echo "$greeting"
    ${busybox}/bin/busybox cat $out/share/motd
    echo "bash says \$((6*7))"
    SCRIPT
    chmod 555 $out/bin/hello
  '';
in
{
  inherit glibc tinfo bash busybox motd banner helper app;
}
