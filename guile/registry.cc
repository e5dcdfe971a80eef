// Semantic versions and the registry client (ferrix/cargo/semver.hh, registry.hh) for
// (ferrix semver) and (ferrix registry). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_registry")
//
// A crate crosses the boundary as nested lists (see crateToScheme); (ferrix registry) makes
// records of them.
#include "convert.hh"
#include "guard.hh"

#include "ferrix/cargo/registry.hh"
#include "ferrix/cargo/semver.hh"

namespace ferrix::guile {

namespace {

using namespace ferrix::cargo;

// Scheme side only (inside scheme()).
SCM strings(const std::vector<std::string>& v) {
    SCM l = SCM_EOL;
    for (size_t i = v.size(); i-- > 0;)
        l = scm_cons(utf8(v[i]), l);
    return l;
}

SCM stringOrFalse(const std::optional<std::string>& s) {
    return s ? utf8(*s) : SCM_BOOL_F;
}
SCM nonEmptyOrFalse(const std::string& s) {
    return s.empty() ? SCM_BOOL_F : utf8(s);
}

// (REAL-NAME KEY REQ KIND OPTIONAL? DEFAULT-FEATURES? FEATURES TARGET REGISTRY)
SCM dependencyToScheme(const IndexDependency& d) {
    SCM l = scm_list_n(utf8(d.package.empty() ? d.name : d.package), utf8(d.name), utf8(d.req),
                       scm_from_utf8_symbol(d.kind.c_str()), scm_from_bool(d.optional),
                       scm_from_bool(d.defaultFeatures), strings(d.features),
                       nonEmptyOrFalse(d.target), nonEmptyOrFalse(d.registry), SCM_UNDEFINED);
    return l;
}

// (NUMBER YANKED? LICENSE CHECKSUM FEATURES LINKS DEPENDENCIES RUST-VERSION CRATE-SIZE)
SCM versionToScheme(const std::string& name, const CrateVersion& v) {
    (void)name;
    SCM features = SCM_EOL;
    for (auto it = v.entry.features.rbegin(); it != v.entry.features.rend(); ++it)
        features = scm_cons(scm_cons(utf8(it->first), strings(it->second)), features);
    SCM deps = SCM_EOL;
    for (size_t i = v.entry.deps.size(); i-- > 0;)
        deps = scm_cons(dependencyToScheme(v.entry.deps[i]), deps);
    return scm_list_n(utf8(v.entry.vers), scm_from_bool(v.entry.yanked), stringOrFalse(v.license),
                      utf8(v.entry.cksum), features, nonEmptyOrFalse(v.entry.links), deps,
                      nonEmptyOrFalse(v.entry.rustVersion),
                      v.crateSize ? scm_from_uint64(*v.crateSize) : SCM_BOOL_F, SCM_UNDEFINED);
}

// (NAME DESCRIPTION HOME-PAGE REPOSITORY DOCUMENTATION (VERSION ...))
SCM crateToScheme(const Crate& c) {
    SCM versions = SCM_EOL;
    for (size_t i = c.versions.size(); i-- > 0;)
        versions = scm_cons(versionToScheme(c.name, c.versions[i]), versions);
    return scm_list_n(utf8(c.name), stringOrFalse(c.description), stringOrFalse(c.homepage),
                      stringOrFalse(c.repository), stringOrFalse(c.documentation), versions,
                      SCM_UNDEFINED);
}

SCM fromInt(int i) {
    return scheme([&] { return scm_from_int(i); });
}
SCM fromBool(bool b) {
    return b ? SCM_BOOL_T : SCM_BOOL_F;
}

#define SUBR "%semver-compare"
SCM primCompare(SCM a, SCM b) {
    checkString(a, 1, SUBR);
    checkString(b, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromInt(compare(Version::parse(toString(a)), Version::parse(toString(b))));
    });
}
#undef SUBR

#define SUBR "%semver-valid?"
SCM primValid(SCM s) {
    checkString(s, 1, SUBR);
    return guarded(SUBR, [&] {
        try {
            Version::parse(toString(s));
            return SCM_BOOL_T;
        } catch (const FormatError&) {
            return SCM_BOOL_F;
        }
    });
}
#undef SUBR

#define SUBR "%semver-requirement-valid?"
SCM primReqValid(SCM s) {
    checkString(s, 1, SUBR);
    return guarded(SUBR, [&] {
        try {
            VersionReq::parse(toString(s));
            return SCM_BOOL_T;
        } catch (const FormatError&) {
            return SCM_BOOL_F;
        }
    });
}
#undef SUBR

#define SUBR "%semver-requirement-match?"
SCM primMatch(SCM req, SCM version) {
    checkString(req, 1, SUBR);
    checkString(version, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromBool(
            VersionReq::parse(toString(req)).matches(Version::parse(toString(version))));
    });
}
#undef SUBR

#define SUBR "%semver-compatible?"
SCM primCompatible(SCM a, SCM b) {
    checkString(a, 1, SUBR);
    checkString(b, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromBool(compatible(Version::parse(toString(a)), Version::parse(toString(b))));
    });
}
#undef SUBR

#define SUBR "%semver-newest-matching"
SCM primNewest(SCM versions, SCM req) {
    checkList(versions, 1, SUBR);
    checkString(req, 2, SUBR);
    return guarded(SUBR, [&] {
        auto best =
            newestMatching(toStringList(versions, SUBR, 1), VersionReq::parse(toString(req)));
        return best ? fromString(*best) : SCM_BOOL_F;
    });
}
#undef SUBR

#define SUBR "%registry-normalize-url"
SCM primNormalize(SCM url) {
    checkString(url, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(normalizeRegistryUrl(toString(url))); });
}
#undef SUBR

#define SUBR "%registry-lookup"
// URL NAME METADATA?: the crate as nested lists (crateToScheme), or #f when the registry lacks
// it; without METADATA?, from the index alone.
SCM primLookup(SCM url, SCM name, SCM metadata) {
    checkString(url, 1, SUBR);
    checkString(name, 2, SUBR);
    bool withMetadata = scm_is_true(metadata);
    return guarded(SUBR, [&] {
        std::optional<Crate> c = Registry::open(toString(url)).lookup(toString(name), withMetadata);
        if (!c) return SCM_BOOL_F;
        return scheme([&] { return crateToScheme(*c); });
    });
}
#undef SUBR

#define SUBR "%registry-prefetch"
SCM primPrefetch(SCM url, SCM names) {
    checkString(url, 1, SUBR);
    checkList(names, 2, SUBR);
    return guarded(SUBR, [&] {
        Registry::open(toString(url)).prefetch(toStringList(names, SUBR, 2));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%registry-download-url"
SCM primDownloadUrl(SCM url, SCM name, SCM version) {
    checkString(url, 1, SUBR);
    checkString(name, 2, SUBR);
    checkString(version, 3, SUBR);
    return guarded(SUBR, [&] {
        return fromString(
            Registry::open(toString(url)).downloadUrl(toString(name), toString(version)));
    });
}
#undef SUBR

#define SUBR "%registry-config"
// URL: (DL . API), API #f when the registry has no web API.
SCM primConfig(SCM url) {
    checkString(url, 1, SUBR);
    return guarded(SUBR, [&] {
        const RegistryConfig& c = Registry::open(toString(url)).config();
        return scheme([&] { return scm_cons(utf8(c.dl), nonEmptyOrFalse(c.api)); });
    });
}
#undef SUBR

} // namespace

void defineRegistryPrimitives() {
    auto def = [](const char* name, int req, auto fn) {
        scm_c_define_gsubr(name, req, 0, 0, reinterpret_cast<scm_t_subr>(fn));
    };
    def("%semver-compare", 2, primCompare);
    def("%semver-valid?", 1, primValid);
    def("%semver-requirement-valid?", 1, primReqValid);
    def("%semver-requirement-match?", 2, primMatch);
    def("%semver-compatible?", 2, primCompatible);
    def("%semver-newest-matching", 2, primNewest);
    def("%registry-normalize-url", 1, primNormalize);
    def("%registry-lookup", 3, primLookup);
    def("%registry-prefetch", 2, primPrefetch);
    def("%registry-download-url", 3, primDownloadUrl);
    def("%registry-config", 1, primConfig);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_registry() {
    ferrix::guile::defineRegistryPrimitives();
}
