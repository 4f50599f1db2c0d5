# ocitools from Nix: buildContainer, with the signature of nixpkgs' pkgs.ociTools.buildContainer
# (a call written for it works unchanged), and buildImage. Neither needs nixpkgs:
#
#   let oci = import ./nix { ocitools = <a derivation or store path with bin/ocitools>; };
#   in oci.buildContainer { args = [ "${hello}/bin/hello" ]; readonly = true; }
#
# Each returns a derivation whose builder is ocitools itself (no shell), given the request as
# JSON (`--spec-json`). The store paths named in the arguments carry their string context, so
# Nix makes them inputs of the build; their closure is found by Nix's own reference scan over
# the store (`--nix-references scan`), which needs no Nix database and so works with the
# sandbox on, where only the inputs are visible. The output is a bundle ($out/config.json,
# $out/rootfs) or an OCI image layout. Tested with Debian's nix-bin 2.8 as root, with the sandbox
# off and on (tests/e2e/nix_functions_test.sh).
{ ocitools, system ? builtins.currentSystem }:
let
  ocitoolsBin = "${ocitools}/bin/ocitools";

  # Arguments of the functions themselves; every other one is a spec key (README, "The spec
  # file"): the seed's args, mounts, readonly, os, arch, and ocitools' own (env, cwd, user,
  # hostname, include, packages, capAdd, capDrop, terminal, link, ...). An unknown key is an
  # error of ocitools naming it.
  ownArgs =
    [ "name" "tag" "maxLayers" "compression" "compressionLevel" "labels" "ports" "entrypoint" ];

  # The spec as JSON. `rootless` is fixed (false unless given) so that the result does not
  # depend on the user Nix builds as (root single-user, nixbld in a daemon).
  specOf = attrs:
    builtins.toJSON ({ rootless = false; } // builtins.removeAttrs attrs ownArgs);

  # A store path name from an image name: registry paths and tags hold '/' and ':'.
  storeName = name:
    builtins.replaceStrings [ "/" ":" "@" ] [ "-" "-" "-" ] name;

  # `ocitools COMMAND FLAGS...` for the spec, writing $out.
  build = { name, command, flags ? [ ], spec }:
    derivation {
      inherit name system;
      builder = ocitoolsBin;
      args = [ command ] ++ flags ++ [ "--spec-json" spec "--nix-references" "scan"
                                       "--store-dir" builtins.storeDir "-o" (placeholder "out") ];
    };
in
{
  # The seed's buildContainer: args, mounts (an attribute set destination -> { type, source,
  # options }), readonly, os, arch; plus ocitools' spec keys and `name` (of the store path).
  buildContainer = { args, name ? "oci-container", ... }@attrs:
    let spec = specOf attrs;
    in build { inherit name spec; command = "build-container"; } // { inherit spec; };

  # The same request as an OCI image layout, tagged `name:tag` (`name` when tag is null).
  buildImage =
    { args, name, tag ? null, maxLayers ? 32, compression ? "gzip", compressionLevel ? null
    , labels ? { }, ports ? [ ], entrypoint ? false, ... }@attrs:
    let
      spec = specOf attrs;
      ref = if tag == null then name else "${name}:${tag}";
      flags = [ "--tag" ref "--max-layers" (toString maxLayers) "--compression" compression ]
        ++ (if compressionLevel == null then [ ]
            else [ "--compression-level" (toString compressionLevel) ])
        ++ builtins.concatLists
          (map (k: [ "--label" "${k}=${labels.${k}}" ]) (builtins.attrNames labels))
        ++ builtins.concatLists (map (p: [ "--port" (toString p) ]) ports)
        ++ (if entrypoint then [ "--entrypoint" ] else [ ]);
    in build { name = "${storeName ref}-oci-image"; command = "build-image"; inherit flags spec; }
      // { inherit spec ref; };
}
