// Semantic versions and the registry client (ferrix/cargo/semver.hh, registry.hh) for
// (ferrix semver) and (ferrix registry). Loaded with
//   (load-extension "libguile-ferrix" "init_ferrix_registry")
//
// A crate crosses the boundary as nested lists (see crateToScheme); (ferrix registry) makes
// records of them.
#include "convert.hh"
#include "guard.hh"
#include "primitive.hh"

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
SCM primSemverCompare(SCM a, SCM b) {
    checkString(a, 1, SUBR);
    checkString(b, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromInt(compare(Version::parse(toString(a)), Version::parse(toString(b))));
    });
}
#undef SUBR

#define SUBR "%semver-valid?"
SCM primSemverValid(SCM s) {
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
SCM primSemverRequirementValid(SCM s) {
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
SCM primSemverRequirementMatch(SCM req, SCM version) {
    checkString(req, 1, SUBR);
    checkString(version, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromBool(
            VersionReq::parse(toString(req)).matches(Version::parse(toString(version))));
    });
}
#undef SUBR

#define SUBR "%semver-compatible?"
SCM primSemverCompatible(SCM a, SCM b) {
    checkString(a, 1, SUBR);
    checkString(b, 2, SUBR);
    return guarded(SUBR, [&] {
        return fromBool(compatible(Version::parse(toString(a)), Version::parse(toString(b))));
    });
}
#undef SUBR

#define SUBR "%semver-newest-matching"
SCM primSemverNewestMatching(SCM versions, SCM req) {
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
SCM primRegistryNormalizeUrl(SCM url) {
    checkString(url, 1, SUBR);
    return guarded(SUBR, [&] { return fromString(normalizeRegistryUrl(toString(url))); });
}
#undef SUBR

#define SUBR "%registry-lookup"
// URL NAME METADATA?: the crate as nested lists (crateToScheme), or #f when the registry lacks
// it; without METADATA?, from the index alone.
SCM primRegistryLookup(SCM url, SCM name, SCM metadata) {
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
SCM primRegistryPrefetch(SCM url, SCM names) {
    checkString(url, 1, SUBR);
    checkList(names, 2, SUBR);
    return guarded(SUBR, [&] {
        Registry::open(toString(url)).prefetch(toStringList(names, SUBR, 2));
        return SCM_UNSPECIFIED;
    });
}
#undef SUBR

#define SUBR "%registry-download-url"
SCM primRegistryDownloadUrl(SCM url, SCM name, SCM version) {
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
SCM primRegistryConfig(SCM url) {
    checkString(url, 1, SUBR);
    return guarded(SUBR, [&] {
        const RegistryConfig& c = Registry::open(toString(url)).config();
        return scheme([&] { return scm_cons(utf8(c.dl), nonEmptyOrFalse(c.api)); });
    });
}
#undef SUBR

const Primitive registryPrimitives[] = {
    {"%semver-compare", 2, 0, 0, asSubr(primSemverCompare),
     "Compare the semantic versions A and B: return -1, 0 or 1 as A is older than, the same as\n"
     "or newer than B."},
    {"%semver-valid?", 1, 0, 0, asSubr(primSemverValid),
     "Return true if STRING is a valid semantic version."},
    {"%semver-requirement-valid?", 1, 0, 0, asSubr(primSemverRequirementValid),
     "Return true if STRING is a valid cargo version requirement."},
    {"%semver-requirement-match?", 2, 0, 0, asSubr(primSemverRequirementMatch),
     "Return true if VERSION satisfies the cargo version requirement REQ."},
    {"%semver-compatible?", 2, 0, 0, asSubr(primSemverCompatible),
     "Return true if the versions A and B are semver-compatible, as cargo decides when it\n"
     "unifies dependencies."},
    {"%semver-newest-matching", 2, 0, 0, asSubr(primSemverNewestMatching),
     "Return the newest of VERSIONS, a list of strings, that satisfies REQ, or #f if none does."},
    {"%registry-normalize-url", 1, 0, 0, asSubr(primRegistryNormalizeUrl),
     "Return the registry URL in its normal form, \"sparse+URL/\"; raise a format-error for\n"
     "anything but sparse+http(s)://, http:// and https:// URLs."},
    {"%registry-lookup", 3, 0, 0, asSubr(primRegistryLookup),
     "Look up the crate NAME in the registry at URL and return it as nested lists, or #f if the\n"
     "registry lacks it; with METADATA? true, add what the registry's web API says of it."},
    {"%registry-prefetch", 2, 0, 0, asSubr(primRegistryPrefetch),
     "Fetch the index files of NAMES, a list of crate names, from the registry at URL, several\n"
     "at once, so that later look-ups answer from memory."},
    {"%registry-download-url", 3, 0, 0, asSubr(primRegistryDownloadUrl),
     "Return the URL from which the registry at URL serves the .crate file of NAME at VERSION."},
    {"%registry-config", 1, 0, 0, asSubr(primRegistryConfig),
     "Return the configuration of the registry at URL as a pair (DL . API), API #f when the\n"
     "registry has no web API."},
};

} // namespace

void defineRegistryPrimitives() {
    definePrimitives(registryPrimitives);
}

} // namespace ferrix::guile

extern "C" void init_ferrix_registry() {
    ferrix::guile::defineRegistryPrimitives();
}
