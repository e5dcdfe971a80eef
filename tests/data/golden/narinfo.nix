# The store items of tests/data/golden/narinfo/ that need nix to make them: text items, one with
# a reference, and a derivation output with a deriver and a reference. tests/unit/golden.cc makes
# the same items in C++, the derivation included, and compares the .narinfo files byte for byte.
rec {
  text = builtins.toFile "golden-text" "text contents\n";
  text-refs = builtins.toFile "golden-text-refs" "refers to ${text}\n";
  built = derivation {
    name = "golden-built";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo built from ${text} > $out" ];
  };
}
