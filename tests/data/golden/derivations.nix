# The derivations of tests/data/golden/drv/, as nix-instantiate writes them: tests/unit/golden.cc
# builds the same ones in C++ and compares the .drv files byte for byte. Nothing is built.
let
  source = builtins.toFile "golden-source.txt" "a source of the golden derivations\n";
in rec {
  fixed-flat = derivation {
    name = "fixed-flat";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo fixed > $out" ];
    outputHash = "0c3071418e6356e614898c84ed064ca95e88551bc0811b534bdf1952ecdae534";
    outputHashAlgo = "sha256";
  };
  fixed-recursive = derivation {
    name = "fixed-recursive";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "mkdir $out" ];
    outputHash = "0d75vbn546fz9d9ip0f03daqhpm99h3fv14ci4afcmk3ir0p2c0c";
    outputHashAlgo = "sha256";
    outputHashMode = "recursive";
  };
  multiple-outputs = derivation {
    name = "multiple-outputs";
    system = "aarch64-linux";
    builder = "/bin/sh";
    args = [ "-c" "mkdir $out $dev $doc" ];
    outputs = [ "out" "dev" "doc" ];
  };
  input-addressed = derivation {
    name = "input-addressed";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "cat ${source} ${fixed-flat} > $out" "${multiple-outputs.dev}" ];
    inherit source;
    tools = fixed-recursive;
    quoted = "a \"quoted\" value\nwith\ttabs and a backslash \\";
  };
}
