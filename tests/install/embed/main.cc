// A program using the installed C++ library (tests/install/install.sh builds it with pkg-config
// and with find_package(ferrix), shared and static): `embed ROOT NAME TEXT` adds TEXT to the
// store at ROOT (logical directory /nix/store) as NAME and prints its store path, then the nix32
// sha256 of TEXT, which the test compares with `ferrix store add-text` and `ferrix hash`.
#include <ferrix/error.hh>
#include <ferrix/hash.hh>
#include <ferrix/store.hh>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: embed ROOT NAME TEXT\n");
        return 2;
    }
    try {
        ferrix::StoreConfig config = ferrix::StoreConfig::resolve(argv[1], "/nix/store");
        ferrix::LocalStore store(config);
        auto path = store.addText(argv[2], argv[3], {});
        std::printf("%s\n", store.storeDir().print(path).c_str());
        std::printf("%s\n",
                    ferrix::hashString(ferrix::HashAlgo::SHA256, argv[3]).toNix32().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embed: %s\n", e.what());
        return 1;
    }
    return 0;
}
