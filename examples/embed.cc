// Embedding the ferrix core in a C++ program: open a store, write a derivation, build it, and
// capture the build's events through an observer of one's own instead of ferrix's display.
//
//   embed STORE-ROOT
//
// Builds a /bin/sh derivation that prints two lines into STORE-ROOT (created if needed), then
// prints the log lines it captured and the output's store path. See "C++ API" in the manual.
#include <ferrix/build.hh>
#include <ferrix/derivation.hh>
#include <ferrix/store.hh>

#include <sys/utsname.h>

#include <iostream>
#include <vector>

namespace {

// Keeps every line the builders print; says when a build starts, ends or fails.
class Capture : public ferrix::BuildObserver {
public:
    std::vector<std::string> lines;

    void event(const ferrix::BuildEvent& e) override {
        using Kind = ferrix::BuildEvent::Kind;
        switch (e.kind) {
        case Kind::LogLine:
            lines.push_back(e.text);
            break;
        case Kind::Started:
            std::cout << "building " << e.name << "\n";
            break;
        case Kind::Failed:
            std::cout << "failed: " << e.text << "\nlog: " << e.logPath << "\n";
            break;
        default:
            break;
        }
    }
};

// The Nix system name of this machine ("x86_64-linux"): a build runs only on its own system.
std::string thisSystem() {
    utsname u{};
    ::uname(&u);
    return std::string(u.machine) + "-linux";
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: embed STORE-ROOT\n";
        return 2;
    }
    try {
        ferrix::LocalStore store(ferrix::StoreConfig::resolve(argv[1], std::nullopt));

        ferrix::Derivation drv;
        drv.name = "embed-example";
        drv.platform = thisSystem();
        drv.builder = "/bin/sh";
        drv.args = {"-c", "echo hello from the builder; echo second line; echo done > $out"};
        drv.env = {{"name", drv.name}, {"builder", drv.builder}, {"system", drv.platform}};
        drv.outputs["out"] = {};
        // Output paths come from the hash of the derivation and of its inputs' (none here).
        ferrix::DrvHashes hashes{[&](const std::string& path) {
            return ferrix::parseDerivation(store.readText(store.parseStorePath(path)), "",
                                           &store.storeDir());
        }};
        ferrix::fillInputAddressedOutputs(drv, store.storeDir(), hashes);
        auto drvPath = store.printStorePath(
            store.addText(drv.name + ".drv", ferrix::unparse(store.storeDir(), drv, false),
                          ferrix::derivationReferences(store.storeDir(), drv)));

        Capture capture;
        ferrix::BuildOptions options;
        options.observer = &capture;
        auto outputs = ferrix::buildDerivations(store, {{drvPath, {}}}, options);

        std::cout << "captured " << capture.lines.size() << " lines\n";
        for (auto& line : capture.lines)
            std::cout << "builder said: " << line << "\n";
        std::cout << "output: " << outputs.at(0).at("out") << "\n";
        return 0;
    } catch (const ferrix::Error& e) {
        std::cerr << "embed: " << e.what() << "\n";
        return 1;
    }
}
