# ocitools as a nixpkgs package: `pkgs.callPackage ./nix/package.nix { }`, in nixpkgs or an
# overlay. nixpkgs is not available offline where ocitools is developed, so this file is checked
# only by `nix-instantiate --parse` (tests/e2e/nix_functions_test.sh), never built; the names are
# nixpkgs' attribute names of the Debian -dev packages CMakeLists.txt finds.
{ lib, stdenv, cmake, pkg-config, nlohmann_json, cli11, sqlite, libarchive, openssl, zstd
, libdeflate }:

stdenv.mkDerivation {
  pname = "ocitools";
  version = "0.1.0";  # project(VERSION) in CMakeLists.txt

  src = lib.cleanSource ./..;

  nativeBuildInputs = [ cmake pkg-config ];
  buildInputs = [ nlohmann_json cli11 sqlite libarchive openssl zstd libdeflate ];

  # The test suite runs real runc, podman and nix-build, as root: not in a Nix build.
  cmakeFlags = [ "-DBUILD_TESTING=OFF" ];

  meta = {
    description = "Turn a command into a self-contained OCI runtime bundle or image";
    platforms = lib.platforms.linux;
    mainProgram = "ocitools";
  };
}
